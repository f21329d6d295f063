/**
 * One active run per thread. Two processes that run or resume the same thread at once would both
 * execute its next steps (a send_email twice, say); a run therefore holds a lease on its thread for
 * its whole life, kept in the checkpointer's own database so every process that can reach the
 * thread sees it:
 *
 * - SQLite: a row in `plan_execute_leases`, renewed while the run lives (see lease-sqlite.ts);
 * - PostgreSQL: a session advisory lock on a connection of the lease's own (see lease-postgres.ts).
 *
 * A lease left by a killed process goes away by itself (its pid is gone, its TTL ran out, or its
 * connection closed).
 */
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import type { AcquireOptions, ThreadLease, ThreadLeases } from "./lease-common.js";
import { postgresThreadLeases } from "./lease-postgres.js";
import { sqliteThreadLeases, type SqliteDatabase } from "./lease-sqlite.js";

export {
  describeHolder,
  ThreadBusyError,
  ThreadLeaseLostError,
  type AcquireOptions,
  type LeaseHolder,
  type ThreadLease,
  type ThreadLeases,
} from "./lease-common.js";
export { postgresThreadLeases, threadLockKey, type PostgresLeaseOptions } from "./lease-postgres.js";
export { sqliteThreadLeases, type SqliteDatabase, type SqliteLeaseOptions } from "./lease-sqlite.js";

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/**
 * The leases that go with a checkpointer:
 * - a SqliteSaver: rows in its own file, on its own connection (`saver.db`);
 * - a PostgresSaver: advisory locks in its database (`where.url`, else the saver's connection string);
 * - another saver with `where.db`: rows in that SQLite file (the caller says the checkpoints are there);
 * - otherwise `null`: a MemorySaver's threads live in one process, which no other process can resume,
 *   so there is nothing to share a lease with.
 * Throws for a PostgresSaver whose connection string it can't find: silently not leasing would let
 * two processes run one thread.
 */
export function threadLeasesFor(
  saver: BaseCheckpointSaver,
  where: { db?: string; url?: string } = {},
): ThreadLeases | null {
  const db = sqliteConnectionOf(saver);
  if (db) return sqliteThreadLeases(db);
  const url = where.url ?? postgresUrlOf(saver);
  if (url && POSTGRES_URL.test(url)) return postgresThreadLeases(url);
  if (saver.constructor.name === "PostgresSaver")
    throw new TypeError("threadLeasesFor: pass where.url, the PostgresSaver's connection string");
  return where.db ? sqliteThreadLeases(where.db) : null;
}

/** `SqliteSaver.db`, a better-sqlite3 connection. */
function sqliteConnectionOf(saver: BaseCheckpointSaver): SqliteDatabase | null {
  const db = (saver as { db?: Partial<SqliteDatabase> }).db;
  return typeof db?.prepare === "function" && typeof db.transaction === "function"
    ? (db as SqliteDatabase)
    : null;
}

/** The connection string of a PostgresSaver made with `fromConnString` (its pool keeps it). */
function postgresUrlOf(saver: BaseCheckpointSaver): string | undefined {
  const options = (saver as { pool?: { options?: { connectionString?: unknown } } }).pool?.options;
  return typeof options?.connectionString === "string" ? options.connectionString : undefined;
}

/**
 * Runs `fn` holding the thread's lease, and always releases it. With `leases` null (see
 * `threadLeasesFor`) `fn` runs with a lease that holds nothing and is never lost.
 */
export async function withThreadLease<T>(
  leases: ThreadLeases | null,
  threadId: string,
  fn: (lease: ThreadLease) => Promise<T>,
  opts?: AcquireOptions,
): Promise<T> {
  const lease = leases ? await leases.acquire(threadId, opts) : unleased(threadId);
  try {
    return await fn(lease);
  } finally {
    await lease.release();
  }
}

function unleased(threadId: string): ThreadLease {
  return { threadId, signal: new AbortController().signal, release: async () => {} };
}
