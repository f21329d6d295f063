import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  sqliteThreadLeases,
  ThreadBusyError,
  ThreadLeaseLostError,
  threadLeasesFor,
  withThreadLease,
  type SqliteDatabase,
  type ThreadLeases,
} from "../../src/agent/lease.js";
import { doubleEffects, killLeaseChildren, startLeaseChild } from "../helpers/lease-child.js";

const dir = mkdtempSync(join(tmpdir(), "pe-lease-"));
let files = 0;
/** A new SQLite file for one test. */
const freshFile = () => join(dir, `leases-${++files}.sqlite`);

const opened: ThreadLeases[] = [];
/** Leases on `file` through a connection of their own, as another process would have. */
function leasesOn(file: string, opts?: Parameters<typeof sqliteThreadLeases>[1]): ThreadLeases {
  const leases = sqliteThreadLeases(file, opts);
  opened.push(leases);
  return leases;
}

afterEach(async () => {
  for (const leases of opened.splice(0)) await leases.close();
});
afterAll(() => {
  killLeaseChildren();
  rmSync(dir, { recursive: true, force: true });
});

async function busyError(promise: Promise<unknown>): Promise<ThreadBusyError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ThreadBusyError);
  return err as ThreadBusyError;
}

/** A lease row written directly, as a process on another machine would. */
function writeRow(file: string, row: { thread: string; pid: number; expiresAt: number; host?: string }) {
  leasesOn(file); // creates the table
  const saver = SqliteSaver.fromConnString(file);
  (saver.db as SqliteDatabase)
    .prepare(
      `INSERT OR REPLACE INTO plan_execute_leases (thread_id, owner, pid, host, acquired_at, expires_at, pid_scope)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      row.thread,
      "elsewhere/1",
      row.pid,
      row.host ?? "elsewhere",
      Date.now() - 60_000,
      row.expiresAt,
      "elsewhere",
    );
  saver.db.close();
}

describe("sqliteThreadLeases: one run per thread", () => {
  it("refuses a held thread naming its holder, leaves other threads free, frees it on release", async () => {
    const file = freshFile();
    const a = leasesOn(file);
    const b = leasesOn(file);
    const lease = await a.acquire("t1");
    expect(lease.threadId).toBe("t1");

    const err = await busyError(b.acquire("t1"));
    expect(err.threadId).toBe("t1");
    expect(err.holder).toMatchObject({ pid: process.pid, host: hostname() });
    expect(err.holder?.since?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(err.holder?.expiresAt?.getTime()).toBeGreaterThan(Date.now());
    expect(err.message).toBe(
      `thread t1 is busy: another run (pid ${process.pid} on host ${hostname()}, since ${err.holder?.since?.toISOString()}) holds it; wait for it or use --wait`,
    );
    await busyError(a.acquire("t1")); // a second run in the same process is refused too

    const other = await b.acquire("t2");
    await lease.release();
    const again = await b.acquire("t1");
    await lease.release(); // idempotent, and it doesn't delete the new holder's row
    await busyError(a.acquire("t1"));
    await Promise.all([again.release(), other.release()]);
    await (await a.acquire("t1")).release();
  });

  it("shares the SqliteSaver's own connection and excludes a second connection to the file", async () => {
    const file = freshFile();
    const saver = SqliteSaver.fromConnString(file);
    const viaSaver = threadLeasesFor(saver)!;
    opened.push(viaSaver);
    const viaFile = leasesOn(file);

    const held = await viaSaver.acquire("shared");
    await busyError(viaFile.acquire("shared"));
    await held.release();
    const back = await viaFile.acquire("shared");
    await busyError(viaSaver.acquire("shared"));
    await back.release();

    await viaSaver.close(); // not the saver's connection: that is the saver's to close
    expect(saver.db.open).toBe(true);
    saver.db.close();
  });

  it("picks a lease store for each checkpointer", async () => {
    expect(threadLeasesFor(new MemorySaver())).toBeNull();
    const pgSaver = PostgresSaver.fromConnString("postgres://nobody@127.0.0.1:1/none");
    const pgLeases = threadLeasesFor(pgSaver); // connects only on acquire
    expect(pgLeases).not.toBeNull();
    await pgLeases!.close();
    await pgSaver.end();
    const file = freshFile();
    const byPath = threadLeasesFor(new MemorySaver(), { db: file })!;
    opened.push(byPath);
    await leasesOn(file).acquire("x");
    await busyError(byPath.acquire("x"));
  });

  it("withThreadLease releases after the function, also when it throws", async () => {
    const leases = leasesOn(freshFile());
    const failing = withThreadLease(leases, "w", async (lease) => {
      await busyError(leases.acquire("w"));
      expect(lease.signal.aborted).toBe(false);
      throw new Error("boom");
    });
    await expect(failing).rejects.toThrow("boom");
    expect(await withThreadLease(leases, "w", async () => 42)).toBe(42);
    expect(await withThreadLease(null, "w", async (lease) => lease.threadId)).toBe("w");
  });

  it("lets a waiter in as soon as the holder releases, and gives up after waitMs", async () => {
    const file = freshFile();
    const holder = await leasesOn(file).acquire("q");
    const waiters = leasesOn(file);

    const timedOut = Date.now();
    const err = await busyError(waiters.acquire("q", { waitMs: 200, pollMs: 20 }));
    expect(Date.now() - timedOut).toBeGreaterThanOrEqual(190);
    expect(err.waitedMs).toBeGreaterThanOrEqual(190);
    expect(err.message).toMatch(
      /^thread q is busy: another run \(pid \d+ .*\) still holds it after \d+ ms of waiting$/,
    );

    const releasedAt = Date.now() + 150;
    setTimeout(() => void holder.release(), 150);
    const lease = await waiters.acquire("q", { waitMs: 5_000, pollMs: 20 });
    const late = Date.now() - releasedAt;
    expect(late).toBeGreaterThanOrEqual(-5);
    expect(late).toBeLessThan(500);
    await lease.release();
  });

  it("takes over a lease that was not renewed in time", async () => {
    const file = freshFile();
    // A holder whose renewals stopped (its timer fires only after 10 minutes).
    const stalled = await leasesOn(file, { ttlMs: 200, renewMs: 600_000 }).acquire("e");
    const other = leasesOn(file);
    await busyError(other.acquire("e"));
    const lease = await other.acquire("e", { waitMs: 2_000, pollMs: 20 });
    await stalled.release(); // too late: deletes nothing of the new holder's
    await busyError(leasesOn(file).acquire("e"));
    await lease.release();

    // Rows from another machine: its pids mean nothing here, only the expiry counts.
    writeRow(file, { thread: "far", pid: 999_999_999, expiresAt: Date.now() + 60_000, host: "far-away" });
    const far = await busyError(other.acquire("far"));
    expect(far.holder).toMatchObject({ pid: 999_999_999, host: "far-away" });
    writeRow(file, { thread: "far", pid: 1, expiresAt: Date.now() - 1 });
    await (await other.acquire("far")).release();
  });

  it("keeps a renewed lease past its TTL, and aborts its signal once another run has taken it", async () => {
    const file = freshFile();
    const lease = await leasesOn(file, { ttlMs: 200, renewMs: 40 }).acquire("r");
    await new Promise((r) => setTimeout(r, 500));
    await busyError(leasesOn(file).acquire("r"));
    expect(lease.signal.aborted).toBe(false);

    writeRow(file, { thread: "r", pid: 1, expiresAt: Date.now() + 60_000 }); // e.g. after a long pause
    const lost = new Promise((resolve) => lease.signal.addEventListener("abort", resolve));
    await lost;
    expect(lease.signal.reason).toBeInstanceOf(ThreadLeaseLostError);
    expect((lease.signal.reason as Error).message).toMatch(/^lost the lease on thread r: /);
    await lease.release();
    await busyError(leasesOn(file).acquire("r")); // the row is still the other run's
  });
});

describe("sqliteThreadLeases across processes", () => {
  it("frees at once the lease of a SIGKILLed process on this machine, and the lease of one that exited", async () => {
    const file = freshFile();
    leasesOn(file); // the table exists before the children start
    const killed = startLeaseChild([`sqlite:${file}`, "k", "hold"]);
    const exiting = startLeaseChild([`sqlite:${file}`, "x", "exit"]);
    expect(await killed.nextLine()).toBe(`held ${killed.proc.pid}`);
    const err = await busyError(leasesOn(file).acquire("k"));
    expect(err.holder?.pid).toBe(killed.proc.pid);

    killed.proc.kill("SIGKILL");
    await killed.exited;
    const started = Date.now();
    const lease = await leasesOn(file).acquire("k"); // no waiting for the 30 s TTL
    expect(Date.now() - started).toBeLessThan(1_000);
    await lease.release();

    expect(await exiting.exited).toBe(0);
    const saver = SqliteSaver.fromConnString(file);
    const rows = saver.db.prepare("SELECT thread_id FROM plan_execute_leases").all() as unknown[];
    saver.db.close();
    expect(rows).toEqual([]); // "x" was deleted on the way out
  });

  it("lets exactly one of two racing processes take effect at a time", { timeout: 30_000 }, async () => {
    const file = freshFile();
    const effects = join(dir, "effects.log");
    writeFileSync(effects, "");
    // One child leases through the SqliteSaver's connection (and writes checkpoints while it holds
    // the lease), the other through a connection of its own. Both start on a new file at once.
    const children = ["saver", "sqlite"].map((kind) =>
      startLeaseChild([`${kind}:${file}`, "race", "serve", effects, "40"]),
    );
    for (const child of children) expect(await child.nextLine()).toBe("ready");

    /** Sends the same trial to both at the same moment; what each did. */
    const trial = async (n: number, wait: string) => {
      for (const child of children) child.send(`${n} ${wait}`);
      return Promise.all(children.map(async (child) => (await child.nextLine()).split(" ")[1] ?? ""));
    };
    const results: Record<string, string[][]> = { fail: [], wait: [], nolease: [] };
    for (let n = 0; n < 24; n++) results.fail!.push(await trial(n, "0"));
    for (let n = 100; n < 108; n++) results.wait!.push(await trial(n, "5000"));
    for (let n = 200; n < 203; n++) results.nolease!.push(await trial(n, "nolease"));
    for (const child of children) child.proc.stdin.end();
    for (const child of children) expect(await child.exited, child.stderr()).toBe(0);

    const doubles = doubleEffects(readFileSync(effects, "utf8"));
    const held = [...doubles.keys()].filter((t) => Number(t) < 200);
    expect(held).toEqual([]); // no effect ever began while another held the thread
    // The check sees a double effect: without the lease, every trial has one.
    expect([...doubles.keys()].sort()).toEqual(["200", "201", "202"]);

    for (const pair of results.fail!) expect(pair.filter((r) => r === "acquired").length).toBeGreaterThan(0);
    const contended = results.fail!.filter((pair) => pair.includes("busy")).length;
    expect(contended).toBeGreaterThanOrEqual(12); // most trials really raced
    for (const pair of results.wait!) expect(pair).toEqual(["acquired", "acquired"]);
    console.log(`lease race: ${contended}/24 trials refused one process; 8/8 waited trials ran in turn`);
  });
});
