import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import pg from "pg";

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
  mkdirSync(dirname(file), { recursive: true });
  const saver = SqliteSaver.fromConnString(file);
  return { saver, where: file, close: async () => saver.db.close() };
}

/**
 * `setup()` creates the schema and tables and runs the migrations, but two processes doing it at
 * once on a new database collide (CREATE SCHEMA / CREATE TABLE IF NOT EXISTS are not atomic, and
 * both insert the same migration version): one of them fails with a duplicate key error. Workers
 * start together, so they take turns under a session advisory lock held on a connection of its own
 * (setup runs on the saver's pool); the lock goes away with the connection if the process dies.
 */
async function setupPostgres(url: string, saver: PostgresSaver): Promise<void> {
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
