/**
 * The workspace sandbox of the file and data tools: every path is resolved and checked for
 * containment after symlinks are resolved, files are opened without following a final symlink,
 * reads are capped. The tools in files.ts and data.ts go through it for every path.
 */
import { constants } from "node:fs";
import { lstat, mkdir, open, realpath, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { ToolInputError } from "./types.js";

/** Where the file and data tools read and write when no workspace is configured (relative to the cwd). */
export const DEFAULT_WORKSPACE = ".plan-execute/workspace";

/** A workspace-relative path after resolution: `real` has every symlink resolved and lies inside the workspace. */
export interface ResolvedPath {
  /** The path relative to the workspace, with forward slashes ("." for the workspace itself). */
  rel: string;
  /** Absolute real path (symlinks resolved; the part that does not exist yet appended as given). */
  real: string;
  /** Absolute path as written, without resolving a symlink in its last component. */
  lexical: string;
  /** Whether `real` exists. */
  exists: boolean;
}

export const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

export function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * A folder that tools are confined to. Every path goes through {@link Workspace.resolve}, which
 * refuses absolute paths and `..`, resolves symlinks with `realpath` (of the deepest existing
 * ancestor, for paths that do not exist yet) and checks containment after resolution, so that no
 * symlink can lead a read, write or delete outside.
 */
export class Workspace {
  /** Absolute path of the workspace as configured. */
  readonly root: string;
  #realRoot: Promise<string> | undefined;

  constructor(root: string = DEFAULT_WORKSPACE) {
    this.root = path.resolve(root);
  }

  /** The real path of the workspace folder, created if missing. */
  realRoot(): Promise<string> {
    this.#realRoot ??= mkdir(this.root, { recursive: true })
      .then(() => realpath(this.root))
      .catch((err: unknown) => {
        this.#realRoot = undefined;
        throw err;
      });
    return this.#realRoot;
  }

  /** Resolves a workspace-relative path, or throws a {@link ToolInputError} saying why it is refused. */
  async resolve(given: string): Promise<ResolvedPath> {
    const shown = JSON.stringify(given);
    if (given.trim() === "") throw new ToolInputError("the path is empty");
    if (given.includes("\0")) throw new ToolInputError(`the path ${shown} contains a NUL byte`);
    if (path.isAbsolute(given) || path.win32.isAbsolute(given) || /^[A-Za-z]:/.test(given)) {
      throw new ToolInputError(
        `absolute paths are refused: ${shown}; give a path relative to the workspace, e.g. "data/sales.csv"`,
      );
    }
    if (given.split(/[\\/]+/).includes("..")) {
      throw new ToolInputError(`paths with ".." are refused: ${shown}; the tools only reach the workspace`);
    }
    const root = await this.realRoot();
    const lexical = path.resolve(root, given);
    if (!isInside(root, lexical)) throw new ToolInputError(`${shown} is outside the workspace`);

    // realpath of the deepest ancestor that exists; the missing rest is appended unchanged.
    const missing: string[] = [];
    let current = lexical;
    let real: string;
    for (;;) {
      try {
        real = await realpath(current);
        break;
      } catch (err) {
        const code = errnoCode(err);
        if (current === root) throw err;
        // Said in workspace terms: the system's message would name the host's absolute path.
        if (code === "ELOOP") {
          throw new ToolInputError(`${shown} goes through a loop of symbolic links; refused`);
        }
        if (code !== "ENOENT" && code !== "ENOTDIR") {
          throw new ToolInputError(`${shown} cannot be resolved in the workspace (${code ?? "error"})`);
        }
        if (code === "ENOENT" && (await lstat(current).catch(() => undefined))?.isSymbolicLink()) {
          throw new ToolInputError(
            `${shown} goes through a symbolic link whose target does not exist; refused, since it could lead outside the workspace`,
          );
        }
        missing.unshift(path.basename(current));
        current = path.dirname(current);
      }
    }
    const resolved = path.join(real, ...missing);
    if (!isInside(root, resolved)) {
      throw new ToolInputError(`${shown} leads outside the workspace through a symbolic link; refused`);
    }
    const rel = path.relative(root, lexical).split(path.sep).join("/") || ".";
    return { rel, real: resolved, lexical, exists: missing.length === 0 };
  }

  /** Reads a workspace file as UTF-8 text, refusing directories, binary files and files over `maxBytes`. */
  async readText(given: string, maxBytes: number): Promise<{ rel: string; text: string; bytes: number }> {
    const target = await this.resolve(given);
    if (!target.exists) throw new ToolInputError(`no such file in the workspace: ${JSON.stringify(given)}`);
    // O_NOFOLLOW: the resolved path has no symlink left; if one was swapped in since, refuse.
    const handle = await open(target.real, constants.O_RDONLY | O_NOFOLLOW).catch((err: unknown) => {
      if (errnoCode(err) === "ELOOP")
        throw new ToolInputError(`${JSON.stringify(given)} changed while reading`);
      throw err;
    });
    try {
      const info = await handle.stat();
      if (info.isDirectory()) {
        throw new ToolInputError(
          `${JSON.stringify(given)} is a directory; use list_files to see its contents`,
        );
      }
      if (!info.isFile()) throw new ToolInputError(`${JSON.stringify(given)} is not a regular file`);
      if (info.size > maxBytes) {
        throw new ToolInputError(
          `${JSON.stringify(given)} is ${info.size} bytes, over the limit of ${maxBytes} bytes; refused`,
        );
      }
      // Never more than maxBytes + 1 bytes, even from a file that grows while it is read.
      const buffer = await readAtMost(handle, maxBytes + 1);
      if (buffer.length > maxBytes) {
        throw new ToolInputError(
          `${JSON.stringify(given)} grew over the limit of ${maxBytes} bytes while reading`,
        );
      }
      if (buffer.includes(0)) throw new ToolInputError(`${JSON.stringify(given)} is a binary file, not text`);
      return { rel: target.rel, text: buffer.toString("utf8"), bytes: buffer.length };
    } finally {
      await handle.close();
    }
  }
}

/** Reads from the start of a file until its end or `limit` bytes, whichever comes first. */
export async function readAtMost(handle: FileHandle, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.allocUnsafe(Math.min(limit - total, 1 << 16));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    parts.push(bytesRead < chunk.length ? chunk.subarray(0, bytesRead) : chunk);
    total += bytesRead;
  }
  return Buffer.concat(parts, total);
}
