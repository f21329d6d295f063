/**
 * Thread leases in PostgreSQL: a session advisory lock per thread, on a connection of the lease's
 * own. The server drops a session's locks when its connection ends, so a killed process's lease goes
 * away with its socket: no TTL, no renewal. A small table names the holder, only for messages; the
 * lock is the truth.
 */
import { createHash } from "node:crypto";
import type pg from "pg";
import {
  HOST,
  newOwner,
  pollForLease,
  ThreadLeaseLostError,
  type AcquireOptions,
  type Attempt,
  type LeaseHolder,
  type ThreadLease,
  type ThreadLeases,
} from "./lease-common.js";

export interface PostgresLeaseOptions {
  /** A label for this process in the holder table (default "host:pid"); each lease adds a random part. */
  owner?: string;
  /** How often a held lease's connection is checked with `SELECT 1` (default 10 s), to notice it died. */
  heartbeatMs?: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS plan_execute_leases (
  thread_id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  pid INTEGER,
  host TEXT,
  acquired_at BIGINT,
  expires_at BIGINT
)`;
const UPSERT = `INSERT INTO plan_execute_leases (thread_id, owner, pid, host, acquired_at, expires_at)
  VALUES ($1, $2, $3, $4, $5, NULL)
  ON CONFLICT (thread_id) DO UPDATE SET owner = $2, pid = $3, host = $4, acquired_at = $5, expires_at = NULL`;
/** Concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog: someone else made it. */
const ALREADY_CREATED = new Set(["23505", "42P07"]);

/**
 * The advisory lock key of a thread: the first 8 bytes of a SHA-256 as a signed bigint (as a string,
 * since pg has no bigint parameter type in JS). Prefixed so that other users of advisory locks in
 * the same database (e.g. the CLI's setup lock) don't share keys with threads.
 */
export function threadLockKey(threadId: string): string {
  const digest = createHash("sha256").update(`plan-execute:thread:${threadId}`).digest();
  return digest.readBigInt64BE(0).toString();
}

/** Leases in the PostgreSQL database at `connString` (the checkpointer's). */
export function postgresThreadLeases(connString: string, opts: PostgresLeaseOptions = {}): ThreadLeases {
  return new PostgresThreadLeases(connString, opts);
}

interface HolderRow {
  owner: string;
  pid: number | null;
  host: string | null;
  acquired_at: string | null;
}

async function readHolder(client: pg.Client, threadId: string): Promise<LeaseHolder | null> {
  const { rows } = await client.query<HolderRow>(
    "SELECT owner, pid, host, acquired_at FROM plan_execute_leases WHERE thread_id = $1",
    [threadId],
  );
  const row = rows[0];
  if (!row) return null; // the holder has not written its row yet, or just deleted it
  const since = row.acquired_at === null ? null : new Date(Number(row.acquired_at));
  return { owner: row.owner, pid: row.pid, host: row.host, since, expiresAt: null };
}

class PostgresThreadLeases implements ThreadLeases {
  private readonly held = new Set<PostgresLease>();
  private schema: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly opts: PostgresLeaseOptions,
  ) {}

  /** One connection per acquire: it polls while waiting, and holds the lock once it has it. */
  async acquire(threadId: string, opts?: AcquireOptions): Promise<ThreadLease> {
    // Imported here rather than at the top: the main entry and a SQLite CLI never load the client.
    const { default: Pg } = await import("pg");
    const client = new Pg.Client({ connectionString: this.url, keepAlive: true });
    client.on("error", () => {}); // an idle client's error must not crash the process; queries still fail
    try {
      await client.connect();
      await this.ensureSchema(client);
      const key = threadLockKey(threadId);
      return await pollForLease(threadId, opts, () => this.tryAcquire(client, threadId, key));
    } catch (err) {
      await client.end().catch(() => {}); // also drops the lock if it was taken before a later failure
      throw err;
    }
  }

  private async tryAcquire(client: pg.Client, threadId: string, key: string): Promise<Attempt> {
    const { rows } = await client.query<{ locked: boolean }>(
      "SELECT pg_try_advisory_lock($1::bigint) AS locked",
      [key],
    );
    if (!rows[0]?.locked) return { holder: await readHolder(client, threadId) };
    const owner = newOwner(this.opts.owner);
    await client.query(UPSERT, [threadId, owner, process.pid, HOST, Date.now()]);
    const lease = new PostgresLease(this, client, threadId, key, owner, this.opts.heartbeatMs ?? 10_000);
    this.held.add(lease);
    return { lease };
  }

  private ensureSchema(client: pg.Client): Promise<void> {
    this.schema ??= client.query(SCHEMA).then(
      () => {},
      (err: Error & { code?: string }) => {
        if (ALREADY_CREATED.has(err.code ?? "")) return;
        this.schema = null; // let the next acquire try again
        throw err;
      },
    );
    return this.schema;
  }

  forget(lease: PostgresLease): void {
    this.held.delete(lease);
  }

  async close(): Promise<void> {
    await Promise.all([...this.held].map((lease) => lease.release()));
  }
}

class PostgresLease implements ThreadLease {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  private readonly timer: NodeJS.Timeout;
  private released: Promise<void> | null = null;

  constructor(
    private readonly store: PostgresThreadLeases,
    private readonly client: pg.Client,
    readonly threadId: string,
    private readonly key: string,
    private readonly owner: string,
    heartbeatMs: number,
  ) {
    client.on("error", (err: Error) => this.lose(`its connection failed: ${err.message}`));
    client.on("end", () => this.lose("its connection closed"));
    // A quiet connection can die unnoticed (the server restarted, a network cut): look now and then.
    this.timer = setInterval(() => void this.heartbeat(), heartbeatMs);
    this.timer.unref();
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.client.query("SELECT 1");
    } catch (err) {
      this.lose(`its connection failed: ${(err as Error).message}`);
    }
  }

  /** With the connection gone the server has dropped the lock: another run may already hold it. */
  private lose(reason: string): void {
    if (this.released) return;
    clearInterval(this.timer);
    if (!this.signal.aborted) this.controller.abort(new ThreadLeaseLostError(this.threadId, reason));
  }

  release(): Promise<void> {
    this.released ??= this.end();
    return this.released;
  }

  private async end(): Promise<void> {
    clearInterval(this.timer);
    this.store.forget(this);
    try {
      await this.client.query("DELETE FROM plan_execute_leases WHERE thread_id = $1 AND owner = $2", [
        this.threadId,
        this.owner,
      ]);
      await this.client.query("SELECT pg_advisory_unlock($1::bigint)", [this.key]);
    } catch {
      // The connection is already gone, and the lock with it; the holder row is only for messages.
    } finally {
      await this.client.end().catch(() => {});
    }
  }
}
