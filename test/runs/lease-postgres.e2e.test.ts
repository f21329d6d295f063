import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PG_SHOWN, testDatabases } from "../helpers/postgres.js";
import {
  postgresThreadLeases,
  ThreadBusyError,
  ThreadLeaseLostError,
  threadLeasesFor,
  threadLockKey,
  type ThreadLeases,
} from "../../src/agent/lease.js";
import { doubleEffects, killLeaseChildren, startLeaseChild } from "../helpers/lease-child.js";

/**
 * Thread leases as PostgreSQL session advisory locks. Every run works in databases of its own
 * (created here, dropped at the end), so concurrent and earlier runs never see each other's rows.
 */
const pgdb = await testDatabases("pe_lease", "the PostgreSQL lease tests");
const admin = pgdb?.admin;
const dir = mkdtempSync(join(tmpdir(), "pe-pg-lease-"));
const opened: ThreadLeases[] = [];

afterEach(async () => {
  for (const leases of opened.splice(0)) await leases.close();
});
afterAll(async () => {
  killLeaseChildren();
  rmSync(dir, { recursive: true, force: true });
  await pgdb?.dropAll();
});

/** A new, empty database for one test; its name and URL. */
function freshDatabase(suffix: string): Promise<{ name: string; url: string }> {
  return pgdb!.fresh(suffix);
}

function leasesOn(url: string): ThreadLeases {
  const leases = postgresThreadLeases(url);
  opened.push(leases);
  return leases;
}

async function busyError(promise: Promise<unknown>): Promise<ThreadBusyError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ThreadBusyError);
  return err as ThreadBusyError;
}

describe("threadLockKey", () => {
  it("is a fixed signed 64-bit key per thread", () => {
    const key = threadLockKey("t1");
    expect(threadLockKey("t1")).toBe(key);
    expect(threadLockKey("t2")).not.toBe(key);
    expect(BigInt(key)).toBeGreaterThanOrEqual(-(2n ** 63n));
    expect(BigInt(key)).toBeLessThan(2n ** 63n);
  });
});

describe.skipIf(!admin)(`postgresThreadLeases (${PG_SHOWN})`, () => {
  it("refuses a held thread naming its holder, leaves other threads free, frees it on release", async () => {
    const { url } = await freshDatabase("basic");
    const saver = PostgresSaver.fromConnString(url);
    const a = threadLeasesFor(saver)!; // the saver's own connection string
    opened.push(a);
    const b = leasesOn(url);

    const lease = await a.acquire("t1");
    const err = await busyError(b.acquire("t1"));
    expect(err.holder).toMatchObject({ pid: process.pid, host: hostname(), expiresAt: null });
    expect(err.message).toBe(
      `thread t1 is busy: another run (pid ${process.pid} on host ${hostname()}, since ${err.holder?.since?.toISOString()}) holds it; wait for it or use --wait`,
    );
    await busyError(a.acquire("t1")); // each lease has its own session: a second run here is refused too

    const other = await b.acquire("t2");
    await lease.release();
    const again = await b.acquire("t1");
    await lease.release(); // idempotent
    await busyError(a.acquire("t1"));
    await Promise.all([again.release(), other.release()]);
    await (await a.acquire("t1")).release();
    await saver.end();
  });

  it("lets a waiter in as soon as the holder releases, and gives up after waitMs", async () => {
    const { url } = await freshDatabase("wait");
    const holder = await leasesOn(url).acquire("q");
    const waiters = leasesOn(url);
    const err = await busyError(waiters.acquire("q", { waitMs: 200, pollMs: 20 }));
    expect(err.waitedMs).toBeGreaterThanOrEqual(190);

    const releasedAt = Date.now() + 150;
    setTimeout(() => void holder.release(), 150);
    const lease = await waiters.acquire("q", { waitMs: 5_000, pollMs: 20 });
    expect(Date.now() - releasedAt).toBeLessThan(500);
    await lease.release();
  });

  it("aborts the lease's signal when its connection is cut, and the thread is free again", async () => {
    const { name, url } = await freshDatabase("cut");
    const lease = await leasesOn(url).acquire("c");
    const lost = new Promise((resolve) => lease.signal.addEventListener("abort", resolve));
    await admin!.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
      [name],
    );
    await lost;
    expect(lease.signal.reason).toBeInstanceOf(ThreadLeaseLostError);
    // The server tells the client before its backend has exited and let go of the lock: on a busy
    // machine the lock can outlive the message by a moment. Free again soon, not at once.
    await (await leasesOn(url).acquire("c", { waitMs: 5_000, pollMs: 20 })).release();
    await lease.release(); // still fine after the loss
  });

  it("drops a SIGKILLed process's lock with its connection", async () => {
    const { url } = await freshDatabase("kill");
    const child = startLeaseChild([url, "k", "hold"]);
    expect(await child.nextLine()).toBe(`held ${child.proc.pid}`);
    const err = await busyError(leasesOn(url).acquire("k"));
    expect(err.holder?.pid).toBe(child.proc.pid);

    child.proc.kill("SIGKILL");
    await child.exited;
    const started = Date.now();
    const lease = await leasesOn(url).acquire("k", { waitMs: 5_000, pollMs: 20 });
    const took = Date.now() - started;
    expect(took).toBeLessThan(2_000);
    console.log(`postgres lease: a killed holder's lock was free ${took} ms after it exited`);
    await lease.release();
  });

  it("lets exactly one of two racing processes take effect at a time", { timeout: 30_000 }, async () => {
    const { url } = await freshDatabase("race");
    const effects = join(dir, "effects.log");
    writeFileSync(effects, "");
    const children = [0, 1].map(() => startLeaseChild([url, "race", "serve", effects, "40"]));
    for (const child of children) expect(await child.nextLine()).toBe("ready");
    const trial = async (n: number, wait: string) => {
      for (const child of children) child.send(`${n} ${wait}`);
      return Promise.all(children.map(async (child) => (await child.nextLine()).split(" ")[1] ?? ""));
    };
    const fail = [];
    for (let n = 0; n < 12; n++) fail.push(await trial(n, "0"));
    const waited = [];
    for (let n = 100; n < 104; n++) waited.push(await trial(n, "5000"));
    for (const child of children) child.proc.stdin.end();
    for (const child of children) expect(await child.exited, child.stderr()).toBe(0);

    expect([...doubleEffects(readFileSync(effects, "utf8")).keys()]).toEqual([]);
    for (const pair of fail) expect(pair.filter((r) => r === "acquired").length).toBeGreaterThan(0);
    expect(fail.filter((pair) => pair.includes("busy")).length).toBeGreaterThanOrEqual(6);
    for (const pair of waited) expect(pair).toEqual(["acquired", "acquired"]);
  });
});
