/**
 * What every thread-lease store shares: the public types, the errors, and the acquire loop that
 * turns "busy right now" into "wait up to waitMs".
 */
import { randomUUID } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

/** Who holds a thread, as far as the store knows; for messages. */
export interface LeaseHolder {
  /** The holder's opaque id in the store. */
  owner: string;
  pid: number | null;
  host: string | null;
  /** When the holder took the lease. */
  since: Date | null;
  /** When the lease runs out unless renewed; `null` where it never does (PostgreSQL's session lock). */
  expiresAt: Date | null;
}

/** One run's hold on one thread, from `acquire` until `release()`. */
export interface ThreadLease {
  threadId: string;
  /** Ends the hold. Safe to call more than once, and after the lease was lost. */
  release(): Promise<void>;
  /** Aborts (with a `ThreadLeaseLostError`) when the lease is lost: the run must stop taking effects. */
  signal: AbortSignal;
}

export interface AcquireOptions {
  /** 0 (default): fail at once with `ThreadBusyError` if the thread is held. >0: poll until free, up to this long. */
  waitMs?: number;
  /** How often to look again while waiting (default 100 ms). */
  pollMs?: number;
}

export interface ThreadLeases {
  acquire(threadId: string, opts?: AcquireOptions): Promise<ThreadLease>;
  /** Releases the leases still held through this object, and closes what it opened. */
  close(): Promise<void>;
}

export const DEFAULT_POLL_MS = 100;

/** The thread is held by another run (another process, or another acquire in this one). */
export class ThreadBusyError extends Error {
  override readonly name = "ThreadBusyError";

  constructor(
    readonly threadId: string,
    /** `null` when the store can't say who (e.g. the holder just released). */
    readonly holder: LeaseHolder | null,
    /** How long `acquire` waited before giving up (0 without `waitMs`). */
    readonly waitedMs = 0,
  ) {
    const advice = waitedMs > 0 ? `still holds it after ${waitedMs} ms of waiting` : "holds it";
    const hint = waitedMs > 0 ? "" : "; wait for it or use --wait";
    super(`thread ${threadId} is busy: ${describeHolder(holder)} ${advice}${hint}`);
  }
}

/** The lease was taken over (it expired unrenewed) or its connection went away. */
export class ThreadLeaseLostError extends Error {
  override readonly name = "ThreadLeaseLostError";

  constructor(
    readonly threadId: string,
    readonly reason: string,
  ) {
    super(`lost the lease on thread ${threadId}: ${reason}`);
  }
}

/** "another run (pid 123 on host h, since 2024-…)" */
export function describeHolder(holder: LeaseHolder | null): string {
  const parts = [
    holder?.pid != null ? `pid ${holder.pid}` : null,
    holder?.host ? `on host ${holder.host}` : null,
  ].filter(Boolean);
  const who = parts.join(" ");
  const since = holder?.since ? `since ${holder.since.toISOString()}` : "";
  const inside = [who, since].filter(Boolean).join(", ");
  return inside ? `another run (${inside})` : "another run";
}

export type Attempt = { lease: ThreadLease } | { holder: LeaseHolder | null };

/**
 * Calls `attempt` until it yields a lease or `waitMs` has passed; then throws `ThreadBusyError`
 * naming the last holder seen. Polling (not a notification) keeps every store simple, and a waiter
 * notices a release within `pollMs`.
 */
export async function pollForLease(
  threadId: string,
  opts: AcquireOptions | undefined,
  attempt: () => Promise<Attempt>,
): Promise<ThreadLease> {
  const waitMs = Math.max(0, opts?.waitMs ?? 0);
  const pollMs = Math.max(1, opts?.pollMs ?? DEFAULT_POLL_MS);
  const started = Date.now();
  for (;;) {
    const result = await attempt();
    if ("lease" in result) return result.lease;
    const waited = Date.now() - started;
    if (waited >= waitMs) throw new ThreadBusyError(threadId, result.holder, waitMs > 0 ? waited : 0);
    await sleep(Math.min(pollMs, waitMs - waited));
  }
}

/** A fresh, unique owner id for one lease: a label for people, and a random part so no two leases share it. */
export function newOwner(label: string | undefined): string {
  return `${label ?? `${HOST}:${process.pid}`}/${randomUUID()}`;
}

export const HOST = hostname();

/**
 * Which processes `process.kill(pid, 0)` can see: the host name alone is not enough, since two
 * containers (or two machines both called "localhost") can share a name while their pids mean
 * different processes. On Linux the kernel's boot id and our pid namespace pin it down; elsewhere
 * the host name is all there is.
 */
export const PID_SCOPE = (() => {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    return `${HOST}|${boot}|${readlinkSync("/proc/self/ns/pid")}`;
  } catch {
    return HOST;
  }
})();

/**
 * Whether a process with this pid exists here. EPERM means it exists but belongs to someone else.
 * A pid of 0 or less would signal a process group, so it counts as "can't tell" (alive).
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
