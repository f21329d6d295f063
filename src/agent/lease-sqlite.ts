/**
 * Thread leases in a SQLite file, next to the checkpoints: one row per held thread in
 * `plan_execute_leases`. A row is taken in a `BEGIN IMMEDIATE` transaction (SQLite's single writer
 * makes "look, then take" atomic across processes), renewed while the run lives, and deleted on
 * release. A row left behind by a dead process is free again: at once on the same machine (its pid
 * is gone), after the TTL from anywhere else.
 */
import { createRequire } from "node:module";
import {
  HOST,
  isProcessAlive,
  newOwner,
  PID_SCOPE,
  pollForLease,
  ThreadLeaseLostError,
  type AcquireOptions,
  type Attempt,
  type LeaseHolder,
  type ThreadLease,
  type ThreadLeases,
} from "./lease-common.js";

export interface SqliteLeaseOptions {
  /** How long a lease lives unrenewed (default 30 s): how long another machine waits for a dead holder. */
  ttlMs?: number;
  /** How often a held lease is renewed (default ttlMs / 3). */
  renewMs?: number;
  /** A label for this process in the `owner` column (default "host:pid"); each lease adds a random part. */
  owner?: string;
}

/** The part of a better-sqlite3 `Database` used here (`SqliteSaver.db` is one; the package ships no types). */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): { immediate(...args: A): R };
  close(): unknown;
  readonly open: boolean;
}

interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
}

interface LeaseRow {
  thread_id: string;
  owner: string;
  pid: number | null;
  host: string | null;
  acquired_at: number | null;
  expires_at: number | null;
  /** Where `pid` means something: see PID_SCOPE. */
  pid_scope: string | null;
}

export const DEFAULT_TTL_MS = 30_000;
/** How long a statement waits for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

const SCHEMA = `CREATE TABLE IF NOT EXISTS plan_execute_leases (
  thread_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER,
  host TEXT,
  acquired_at INTEGER,
  expires_at INTEGER,
  pid_scope TEXT
)`;

/**
 * Leases in the SQLite file at `db`, or on an open better-sqlite3 connection (pass `saver.db` to
 * share the SqliteSaver's: inside one process there is then no second connection to wait on).
 */
export function sqliteThreadLeases(db: string | SqliteDatabase, opts: SqliteLeaseOptions = {}): ThreadLeases {
  const owned = typeof db === "string";
  return new SqliteThreadLeases(owned ? openDatabase(db) : db, owned, opts);
}

function openDatabase(file: string): SqliteDatabase {
  // better-sqlite3 comes with the SQLite checkpointer; resolving it from there works however npm laid it out.
  const fromSaver = createRequire(import.meta.url).resolve("@langchain/langgraph-checkpoint-sqlite");
  const Database = createRequire(fromSaver)("better-sqlite3") as new (file: string) => SqliteDatabase;
  const db = new Database(file);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

/** A row blocks a new run unless it ran out, or it names a process of ours that no longer exists. */
function isStale(row: LeaseRow, now: number): boolean {
  if (row.expires_at === null || row.expires_at <= now) return true;
  return row.pid_scope === PID_SCOPE && row.pid !== null && !isProcessAlive(row.pid);
}

function toHolder(row: LeaseRow): LeaseHolder {
  return {
    owner: row.owner,
    pid: row.pid,
    host: row.host,
    since: row.acquired_at === null ? null : new Date(row.acquired_at),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at),
  };
}

class SqliteThreadLeases implements ThreadLeases {
  readonly ttlMs: number;
  readonly renewMs: number;
  private readonly label: string | undefined;
  private readonly held = new Set<SqliteLease>();
  /** In one IMMEDIATE transaction: the row that blocks `threadId`, or null after taking it for `owner`. */
  private readonly take: (threadId: string, owner: string, now: number) => LeaseRow | null;
  private readonly extendStmt: SqliteStatement;
  private readonly deleteStmt: SqliteStatement;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly ownsDb: boolean,
    opts: SqliteLeaseOptions,
  ) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.renewMs = opts.renewMs ?? Math.max(1, Math.floor(this.ttlMs / 3));
    this.label = opts.owner;
    // The checkpointer's own mode (SqliteSaver sets WAL too): readers never wait for a lease write.
    db.pragma("journal_mode = WAL");
    db.exec(SCHEMA);
    const select = db.prepare("SELECT * FROM plan_execute_leases WHERE thread_id = ?");
    const upsert = db.prepare(
      `INSERT OR REPLACE INTO plan_execute_leases (thread_id, owner, pid, host, acquired_at, expires_at, pid_scope)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const take = db.transaction((threadId: string, owner: string, now: number): LeaseRow | null => {
      const row = select.get(threadId) as LeaseRow | undefined;
      if (row && !isStale(row, now)) return row;
      upsert.run(threadId, owner, process.pid, HOST, now, now + this.ttlMs, PID_SCOPE);
      return null;
    });
    // IMMEDIATE takes the write lock before the SELECT: two processes can't both see "free".
    this.take = (threadId, owner, now) => take.immediate(threadId, owner, now);
    this.extendStmt = db.prepare(
      "UPDATE plan_execute_leases SET expires_at = ? WHERE thread_id = ? AND owner = ?",
    );
    this.deleteStmt = db.prepare("DELETE FROM plan_execute_leases WHERE thread_id = ? AND owner = ?");
  }

  acquire(threadId: string, opts?: AcquireOptions): Promise<ThreadLease> {
    return pollForLease(threadId, opts, async () => this.tryAcquire(threadId));
  }

  private tryAcquire(threadId: string): Attempt {
    const owner = newOwner(this.label);
    const now = Date.now();
    const blocking = this.take(threadId, owner, now);
    if (blocking) return { holder: toHolder(blocking) };
    const lease = new SqliteLease(this, threadId, owner, now + this.ttlMs);
    this.held.add(lease);
    return { lease };
  }

  /** Pushes the lease's expiry to `expiresAt`; false when its row is gone or another run's. */
  extend(lease: SqliteLease, expiresAt: number): boolean {
    return this.extendStmt.run(expiresAt, lease.threadId, lease.owner).changes > 0;
  }

  /** Deletes the lease's row if it is still ours. A closed connection (the saver closed first) leaves it to expire. */
  remove(lease: SqliteLease): void {
    this.held.delete(lease);
    if (this.db.open) this.deleteStmt.run(lease.threadId, lease.owner);
  }

  async close(): Promise<void> {
    for (const lease of [...this.held]) await lease.release();
    if (this.ownsDb && this.db.open) this.db.close();
  }
}

class SqliteLease implements ThreadLease {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private readonly timer: NodeJS.Timeout;
  private released = false;

  constructor(
    private readonly store: SqliteThreadLeases,
    readonly threadId: string,
    readonly owner: string,
    private expiresAt: number,
  ) {
    this.timer = setInterval(() => this.renew(), store.renewMs);
    this.timer.unref(); // a held lease must never be what keeps the process alive
    releaseOnExit(this);
  }

  private renew(): void {
    const expiresAt = Date.now() + this.store.ttlMs;
    try {
      if (this.store.extend(this, expiresAt)) this.expiresAt = expiresAt;
      else this.lose("its row was taken over by another run (did it expire unrenewed?)");
    } catch (err) {
      // A database busy past busy_timeout is no reason to give up yet; a lease that ran out is.
      if (Date.now() >= this.expiresAt) this.lose(`could not renew it in time: ${(err as Error).message}`);
    }
  }

  private lose(reason: string): void {
    clearInterval(this.timer);
    if (!this.signal.aborted) this.controller.abort(new ThreadLeaseLostError(this.threadId, reason));
  }

  /** Synchronous, so that it can also run in a process "exit" handler. */
  releaseNow(): void {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    leftAtExit.delete(this);
    this.store.remove(this);
  }

  async release(): Promise<void> {
    this.releaseNow();
  }
}

/**
 * Leases still held when the process exits normally (e.g. `process.exit` at an approval stop) are
 * deleted on the way out, so another machine needn't wait for the TTL. better-sqlite3 is
 * synchronous, which is what an "exit" handler allows. A killed process skips this: its pid (same
 * machine) or the TTL (elsewhere) frees the row instead.
 */
const leftAtExit = new Set<SqliteLease>();
let exitHandlerInstalled = false;

function releaseOnExit(lease: SqliteLease): void {
  leftAtExit.add(lease);
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on("exit", () => {
    for (const left of [...leftAtExit]) {
      try {
        left.releaseNow();
      } catch {
        // Exiting anyway: the row expires on its own.
      }
    }
  });
}
