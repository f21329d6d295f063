import { randomUUID } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rename, rm, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ToolInputError, type PlanTool } from "./types.js";

/** Where the file and data tools read and write when no workspace is configured (relative to the cwd). */
export const DEFAULT_WORKSPACE = ".plan-execute/workspace";

export interface FileToolOptions {
  /** The folder the tools are confined to; created on first use. Default {@link DEFAULT_WORKSPACE}. */
  workspace?: string;
  /** Largest file read_file returns. Default 1 MB. */
  maxReadBytes?: number;
  /** Largest content write_file accepts. Default 1 MB. */
  maxWriteBytes?: number;
  /** Most entries list_files returns. Default 1000. */
  maxListEntries?: number;
}

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

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function errnoCode(err: unknown): string | undefined {
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
        if (code !== "ENOENT" && code !== "ENOTDIR") throw err;
        if (current === root) throw err;
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
async function readAtMost(handle: FileHandle, limit: number): Promise<Buffer> {
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

const PathArg = z
  .string()
  .min(1)
  .max(500)
  .describe("A path relative to the workspace folder, e.g. 'report.md' or 'data/sales.csv'.");

const ReadArgs = z.object({ path: PathArg }).strict();
type ReadArgs = z.output<typeof ReadArgs>;

const ListArgs = z
  .object({
    path: z
      .string()
      .min(1)
      .max(500)
      .default(".")
      .describe("The folder to list, relative to the workspace; '.' (the default) is the workspace itself."),
    recursive: z
      .boolean()
      .default(false)
      .describe("Also list the contents of sub-folders (symbolic links are listed, not followed)."),
  })
  .strict();
type ListArgs = z.output<typeof ListArgs>;

type WriteArgs = { path: string; content: string };
const DeleteArgs = z.object({ path: PathArg }).strict();
type DeleteArgs = z.output<typeof DeleteArgs>;

export interface ListEntry {
  path: string;
  type: "file" | "dir" | "symlink" | "other";
  bytes?: number;
}

function entryType(info: Stats): ListEntry["type"] {
  if (info.isSymbolicLink()) return "symlink";
  if (info.isDirectory()) return "dir";
  if (info.isFile()) return "file";
  return "other";
}

/** `read_file`, `list_files`, `write_file` and `delete_file`, confined to one workspace folder. */
export function createFileTools(
  options: FileToolOptions = {},
): [PlanTool<ReadArgs>, PlanTool<ListArgs>, PlanTool<WriteArgs>, PlanTool<DeleteArgs>] {
  const workspace = new Workspace(options.workspace);
  const maxRead = options.maxReadBytes ?? 1_000_000;
  const maxWrite = options.maxWriteBytes ?? 1_000_000;
  const maxEntries = options.maxListEntries ?? 1000;

  const readFile: PlanTool<ReadArgs> = {
    name: "read_file",
    description: `Read a UTF-8 text file from the workspace folder (at most ${maxRead} bytes). Returns { path, content, bytes }.`,
    schema: ReadArgs,
    risk: "LOW",
    timeoutMs: 10_000,
    async run(args) {
      const { rel, text, bytes } = await workspace.readText(args.path, maxRead);
      return { path: rel, content: text, bytes };
    },
  };

  const listFiles: PlanTool<ListArgs> = {
    name: "list_files",
    description:
      "List the files and folders of a folder in the workspace. Returns { path, entries: [{ path, type, bytes }], truncated }.",
    schema: ListArgs,
    risk: "LOW",
    timeoutMs: 10_000,
    async run(args) {
      const target = await workspace.resolve(args.path);
      if (!target.exists)
        throw new ToolInputError(`no such folder in the workspace: ${JSON.stringify(args.path)}`);
      const root = await workspace.realRoot();
      if (!(await lstat(target.real)).isDirectory()) {
        throw new ToolInputError(`${JSON.stringify(args.path)} is a file, not a folder; use read_file`);
      }
      const entries: ListEntry[] = [];
      let truncated = false;
      const walk = async (dir: string): Promise<void> => {
        const names = (await readdir(dir)).sort();
        for (const name of names) {
          if (entries.length >= maxEntries) {
            truncated = true;
            return;
          }
          const full = path.join(dir, name);
          const info = await lstat(full);
          const type = entryType(info);
          const rel = path.relative(root, full).split(path.sep).join("/");
          entries.push(type === "file" ? { path: rel, type, bytes: info.size } : { path: rel, type });
          if (type === "dir" && args.recursive) await walk(full);
        }
      };
      await walk(target.real);
      return { path: target.rel, entries, truncated };
    },
  };

  const writeArgs = z
    .object({
      path: PathArg,
      content: z
        .string()
        .max(maxWrite)
        .describe(`The whole new content of the file (UTF-8 text, at most ${maxWrite} bytes).`),
    })
    .strict();

  const writeFile: PlanTool<WriteArgs> = {
    name: "write_file",
    description:
      "Create or overwrite a UTF-8 text file in the workspace folder (missing folders are created). " +
      "Returns { path, bytes, created }.",
    schema: writeArgs,
    risk: "MEDIUM",
    timeoutMs: 10_000,
    async run(args) {
      const bytes = Buffer.byteLength(args.content, "utf8");
      if (bytes > maxWrite) {
        throw new ToolInputError(
          `the content is ${bytes} bytes, over the write limit of ${maxWrite} bytes; refused`,
        );
      }
      const target = await workspace.resolve(args.path);
      if (target.rel === ".") throw new ToolInputError("cannot write to the workspace folder itself");
      if (target.exists && (await lstat(target.real)).isDirectory()) {
        throw new ToolInputError(`${JSON.stringify(args.path)} is a folder; give a file path`);
      }
      const dir = path.dirname(target.real);
      await mkdir(dir, { recursive: true });
      // The folders just created are inside; check again in case one was swapped for a link meanwhile.
      const root = await workspace.realRoot();
      if (!isInside(root, await realpath(dir))) {
        throw new ToolInputError(`${JSON.stringify(args.path)} leads outside the workspace; refused`);
      }
      // Write a new file next to the target ("wx": never through an existing file or link), then
      // rename it over the target: a reader never sees half a file.
      const temp = path.join(dir, `.${path.basename(target.real)}.${randomUUID()}.tmp`);
      try {
        const handle = await open(temp, "wx");
        try {
          await handle.writeFile(args.content, "utf8");
        } finally {
          await handle.close();
        }
        await rename(temp, target.real);
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      return { path: target.rel, bytes, created: !target.exists };
    },
  };

  const deleteFile: PlanTool<DeleteArgs> = {
    name: "delete_file",
    description:
      "Delete one file from the workspace folder (not folders). Returns { path, deleted }; deleted is false " +
      "when the file did not exist.",
    schema: DeleteArgs,
    risk: "HIGH",
    timeoutMs: 10_000,
    async run(args) {
      const target = await workspace.resolve(args.path);
      if (target.rel === ".") throw new ToolInputError("cannot delete the workspace folder");
      // The entry itself (a link inside the workspace is removed, not what it points to).
      const parent = await workspace.resolve(path.posix.dirname(target.rel));
      const entry = path.join(parent.real, path.basename(target.lexical));
      const info = await lstat(entry).catch((err: unknown) => {
        if (errnoCode(err) === "ENOENT") return undefined;
        throw err;
      });
      // Absent already (e.g. a retry of a delete that went through): nothing to do.
      if (!info) return { path: target.rel, deleted: false };
      if (info.isDirectory()) {
        throw new ToolInputError(`${JSON.stringify(args.path)} is a folder; delete_file deletes files only`);
      }
      await unlink(entry);
      return { path: target.rel, deleted: true };
    },
  };

  return [readFile, listFiles, writeFile, deleteFile];
}
