import { randomUUID } from "node:crypto";
import { closeSync, mkdirSync, openSync, statSync, unlinkSync, type Stats } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

export const DEFAULT_DB = ".plan-execute/checkpoints.sqlite";

/** The advisory lock (per database) that serialises `PostgresSaver.setup()` across processes. */
const SETUP_LOCK = "plan-execute: PostgresSaver.setup";

export interface OpenedCheckpointer {
  saver: BaseCheckpointSaver;
  /** Where the checkpoints live, for messages. */
  where: string;
  close(): Promise<void>;
}

/**
 * The CLI's checkpointer: PostgreSQL for a `postgres://` URL (from `--checkpointer` or
 * DATABASE_URL), else a SQLite file (`--db`, default `.plan-execute/checkpoints.sqlite`).
 */
export async function openCheckpointer(options: { db?: string; url?: string }): Promise<OpenedCheckpointer> {
  const url = options.url;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    // Loaded only for a postgres:// URL: a SQLite command never pays for the PostgreSQL client.
    const { PostgresSaver } = await import("@langchain/langgraph-checkpoint-postgres");
    const saver = PostgresSaver.fromConnString(url);
    try {
      await setupPostgres(url, saver);
    } catch (err) {
      await saver.end();
      throw err;
    }
    return { saver, where: url.replace(/\/\/[^@/]*@/, "//***@"), close: () => saver.end() };
  }
  if (url) throw new CheckpointerConfigError(`--checkpointer must be a postgres:// URL (got "${url}")`);
  const file = options.db ?? DEFAULT_DB;
  if (file !== ":memory:") prepareSqliteFile(file);
  let saver: SqliteSaver;
  try {
    saver = SqliteSaver.fromConnString(file);
  } catch (err) {
    throw new CheckpointerConfigError(`--db ${file}: cannot open the database: ${(err as Error).message}`);
  }
  return { saver, where: file, close: async () => saver.db.close() };
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // ENOTDIR: a component on the way is a file; the walk up finds it and says so.
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

/**
 * Checks that the SQLite file can work before opening it: its folder is created one level at a
 * time and probed with a file of our own; any failure is one CheckpointerConfigError line.
 * `mkdirSync(…, { recursive: true })` is not used: for a folder the kernel refuses with ENOENT
 * although its parent exists (`/proc/nope`), Node's recursive mkdir retries forever (it spun a
 * core for 11 minutes).
 */
function prepareSqliteFile(file: string): void {
  const fail = (why: string) => new CheckpointerConfigError(`--db ${file}: ${why}`);
  const reason = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  const full = resolve(file);
  let info: Stats | undefined;
  try {
    info = statOrUndefined(full);
  } catch (err) {
    throw fail(`cannot be read (${reason(err)})`);
  }
  if (info?.isDirectory()) throw fail("is a directory; give the path of a database file");
  if (info && !info.isFile()) throw fail("is not a regular file");

  // The folders that are missing, outermost first, below the deepest one that exists.
  const missing: string[] = [];
  let folder = dirname(full);
  for (;;) {
    let folderInfo: Stats | undefined;
    try {
      folderInfo = statOrUndefined(folder);
    } catch (err) {
      throw fail(`cannot reach the folder ${folder} (${reason(err)})`);
    }
    if (folderInfo) {
      if (!folderInfo.isDirectory()) throw fail(`${folder} is not a folder`);
      break;
    }
    missing.unshift(folder);
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw fail(`cannot create the folder ${dir} (${reason(err)})`);
      }
    }
  }

  // Writable? Opening the file (or a probe beside it) answers for root and read-only mounts alike.
  const probe = info ? full : join(dirname(full), `.${randomUUID()}.probe`);
  try {
    closeSync(openSync(probe, info ? "r+" : "wx"));
    if (!info) unlinkSync(probe);
  } catch (err) {
    throw fail(
      info
        ? `cannot be written (${reason(err)})`
        : `cannot write in the folder ${dirname(full)} (${reason(err)})`,
    );
  }
}

/**
 * `setup()` creates the schema and tables and runs the migrations, but two processes doing it at
 * once on a new database collide (CREATE SCHEMA / CREATE TABLE IF NOT EXISTS are not atomic, and
 * both insert the same migration version): one of them fails with a duplicate key error. Workers
 * start together, so they take turns under a session advisory lock held on a connection of its own
 * (setup runs on the saver's pool); the lock goes away with the connection if the process dies.
 */
async function setupPostgres(url: string, saver: PostgresSaver): Promise<void> {
  const { default: pg } = await import("pg");
  const lock = new pg.Client({ connectionString: url });
  // The connection sits idle while setup runs; if the server drops it then, setup fails on its own.
  lock.on("error", () => {});
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock(hashtext($1))", [SETUP_LOCK]);
    await saver.setup();
  } finally {
    await lock.end(); // ending the session releases the lock
  }
}

export class CheckpointerConfigError extends Error {}
