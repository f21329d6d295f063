import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { PG_SHOWN, testDatabases } from "../helpers/postgres.js";
import { openCheckpointer } from "../../src/cli/checkpointer.js";
import { buildPlanExecuteGraph } from "../../src/graph/builder.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { fixedModelProvider } from "../../src/models/provider.js";
import { scriptedRoles } from "../../src/testing/scripted.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { fixture } from "../helpers/fixtures.js";

/**
 * PostgreSQL as the checkpointer of many processes. Every run works in databases of its own
 * (created here, dropped at the end), so concurrent and earlier runs never see each other's rows.
 */
const pgdb = await testDatabases("pe_test", "the PostgreSQL tests");
const admin = pgdb?.admin;
const dir = mkdtempSync(join(tmpdir(), "pe-pg-"));
const bin = new URL("../../bin/plan-execute.js", import.meta.url).pathname;
const worker = fixture("pg-worker");

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgdb?.dropAll();
});

/** A new, empty database for one test; its URL. */
async function freshDatabase(suffix: string): Promise<string> {
  return (await pgdb!.fresh(suffix)).url;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Final snapshots of threads, read from PostgreSQL by this process (which ran none of them). */
async function readThreads(url: string, ids: string[]) {
  const saver = PostgresSaver.fromConnString(url);
  try {
    const reader = buildPlanExecuteGraph({
      models: fixedModelProvider(scriptedRoles({})),
      tools: new ToolRegistry(),
    }).compile({ checkpointer: saver });
    const snapshots = [];
    for (const id of ids) {
      const snapshot = await reader.getState({ configurable: { thread_id: id } });
      snapshots.push({ id, next: snapshot.next, state: snapshot.values as PlanExecuteStateType });
    }
    return snapshots;
  } finally {
    await saver.end();
  }
}

const statuses = (state: PlanExecuteStateType) =>
  Object.values(state.steps)
    .map((s) => [s.id, s.status, s.attempts])
    .sort();

/** The JSON lines of a process's output (a worker also prints "ready"). */
const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe.skipIf(!admin)(`PostgreSQL checkpointer for many processes (${PG_SHOWN})`, () => {
  it("lets several processes set up a new database at once", { timeout: 30_000 }, async () => {
    const url = await freshDatabase("setup");
    // Without a lock, two concurrent PostgresSaver.setup() calls on a new database fail every
    // time with a duplicate key (pg_namespace, pg_type or checkpoint_migrations).
    const opened = await Promise.allSettled(Array.from({ length: 4 }, () => openCheckpointer({ url })));
    for (const o of opened) if (o.status === "fulfilled") await o.value.close();
    expect(opened.filter((o) => o.status === "rejected").map((o) => String(o.reason))).toEqual([]);
    const versions = await query<{ v: number }>(url, "SELECT v FROM public.checkpoint_migrations ORDER BY v");
    expect(versions.map((r) => r.v)).toEqual([0, 1, 2, 3, 4]);
  });

  it(
    "pauses a run at approval in one CLI process and resumes it in another",
    { timeout: 90_000 },
    async () => {
      const url = await freshDatabase("cli");
      const outbox = join(dir, "outbox");
      const sqlite = join(dir, "unused.sqlite");
      /** The CLI as a script runs it: no TTY, no model keys; Postgres from the flag or from DATABASE_URL. */
      const cli = (args: string[], via: "flag" | "env") => {
        const env = {
          ...process.env,
          OPENAI_API_KEY: "",
          OPENAI_BASE_URL: "",
          DATABASE_URL: via === "env" ? url : "",
        };
        const extra = via === "flag" ? ["--checkpointer", url] : [];
        const r = spawnSync(process.execPath, [bin, ...args, ...extra, "--db", sqlite, "--outbox", outbox], {
          env,
          encoding: "utf8",
          timeout: 45_000,
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      const started = (stdout: string) =>
        jsonLines(stdout)
          .filter((e) => e.type === "step_started")
          .map((e) => e.stepId);

      const first = cli(["demo", "email", "--no-latency", "--thread", "mail", "--json"], "flag");
      expect(first.code, first.stderr).toBe(3);
      const waiting = jsonLines(first.stdout).at(-1) as {
        type: string;
        request: { steps: { stepId: string }[] };
      };
      expect(waiting.type).toBe("approval_required");
      expect(waiting.request.steps.map((s) => s.stepId)).toEqual(["step_5"]);
      expect(started(first.stdout).sort()).toEqual(["step_1", "step_2", "step_3", "step_4"]);
      expect(existsSync(outbox)).toBe(false);
      const saved = await query<{ n: string }>(
        url,
        "SELECT count(*) AS n FROM checkpoints WHERE thread_id = 'mail'",
      );
      expect(Number(saved[0]?.n)).toBeGreaterThan(0);

      const second = cli(["resume", "mail", "--approve", "--json"], "env");
      expect(second.code, second.stderr).toBe(0);
      expect(started(second.stdout)).toEqual(["step_5"]); // nothing of the first process ran again
      expect(jsonLines(second.stdout).at(-1)).toMatchObject({ type: "done", error: null });
      expect(readdirSync(outbox)).toHaveLength(1);

      const [mail] = await readThreads(url, ["mail"]);
      expect(mail?.next).toEqual([]);
      const state = mail?.state as PlanExecuteStateType;
      expect(state.error).toBeNull();
      expect(statuses(state)).toEqual(
        ["step_1", "step_2", "step_3", "step_4", "step_5"].map((id) => [id, "succeeded", 1]),
      );
      expect(state.audit.map((e) => [e.stepId, e.decision])).toContainEqual(["step_5", "approved"]);
      expect(state.finalAnswer).toContain("emailed to team@example.com");
      expect(existsSync(sqlite)).toBe(false); // every process used PostgreSQL
    },
  );

  it(
    "runs 20 threads in two worker processes at once, each thread complete with its own results",
    { timeout: 90_000 },
    async () => {
      const url = await freshDatabase("workers");
      const marks = join(dir, "marks");
      mkdirSync(marks);
      const ids = Array.from({ length: 20 }, (_, i) => `pgw-${String(i + 1).padStart(2, "0")}`);
      const assigned = [ids.filter((_, i) => i % 2 === 0), ids.filter((_, i) => i % 2 === 1)];

      // Both workers load, say "ready", and are then released together: their setup() calls overlap.
      const procs = assigned.map((threads, w) =>
        spawn(process.execPath, [worker, url, marks, `w${w}`, ...threads], {
          stdio: ["pipe", "pipe", "pipe"],
        }),
      );
      const outputs = procs.map((proc) => {
        let stdout = "";
        let stderr = "";
        proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const ready = new Promise<void>((resolve, reject) => {
          proc.stdout.on("data", () => stdout.includes("ready\n") && resolve());
          proc.on("exit", () => reject(new Error(`worker exited before it was ready: ${stderr}`)));
        });
        const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
          proc.on("exit", (code) => resolve({ code, stdout, stderr })),
        );
        return { ready, exit };
      });
      let exits;
      try {
        await Promise.all(outputs.map((o) => o.ready));
        for (const proc of procs) proc.stdin.end("go\n");
        exits = await Promise.all(outputs.map((o) => o.exit));
      } finally {
        for (const proc of procs)
          if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      }
      for (const e of exits) expect(e.code, e.stderr).toBe(0);

      // Every thread's checkpoints are there, read back by a process that ran none of them.
      const rows = await query<{ thread_id: string }>(url, "SELECT DISTINCT thread_id FROM checkpoints");
      expect(rows.map((r) => r.thread_id).sort()).toEqual(ids);
      for (const { id, next, state } of await readThreads(url, ids)) {
        const n = Number(id.slice(4));
        expect(next).toEqual([]);
        expect(state.error).toBeNull();
        expect(state.goal).toBe(`pg-worker thread ${id} n=${n}`);
        expect(statuses(state)).toEqual([
          ["a", "succeeded", 1],
          ["b", "succeeded", 1],
          ["c", "succeeded", 1],
        ]);
        expect(state.steps.a?.output).toEqual({ tag: `${id}/a`, value: n, from: [] });
        expect(state.steps.b?.output).toEqual({ tag: `${id}/b`, value: 10 * n, from: [] });
        expect(state.steps.c?.output).toEqual({
          tag: `${id}/c`,
          value: 100 * n,
          from: [`${id}/a`, `${id}/b`],
        });
        expect(state.finalAnswer).toBe(
          `${id}: a=${JSON.stringify(state.steps.a?.output)} b=${JSON.stringify(state.steps.b?.output)} c=${JSON.stringify(state.steps.c?.output)}`,
        );
      }

      // Each step's effect happened once, in the worker that owns its thread.
      expect(existsSync(join(marks, "duplicates.log"))).toBe(false);
      const done = readdirSync(marks).sort();
      expect(done).toEqual(ids.flatMap((id) => ["a", "b", "c"].map((s) => `${id}_${s}.done`)).sort());
      for (const [w, threads] of assigned.entries())
        for (const id of threads)
          for (const s of ["a", "b", "c"])
            expect(readFileSync(join(marks, `${id}_${s}.done`), "utf8")).toBe(`w${w}`);
      const reported = exits.flatMap((e, w) => jsonLines(e.stdout).filter((l) => l.worker === `w${w}`));
      expect(reported.map((r) => r.thread).sort()).toEqual(ids);
    },
  );
});
