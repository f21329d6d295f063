/**
 * The file tools (read_file, list_files, write_file, delete_file): argument schemas, risk tiers
 * and what each does inside the workspace (workspace.ts, re-exported here).
 */
import { randomUUID } from "node:crypto";
import { type Stats } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ToolInputError, type PlanTool } from "./types.js";
import { errnoCode, isInside, Workspace } from "./workspace.js";

export * from "./workspace.js";

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
