import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@langchain/langgraph-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeOpenAI } from "../../src/testing/fake-openai/index.js";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import type { PlanExecuteStateType } from "../../src/core/state.js";
import { localModelName, serveScenario } from "../../src/demo/local-server.js";
import { lastHumanText, planReply, resultOf, type Scenario } from "../../src/demo/types.js";

/**
 * `langgraph dev` from devDependencies serving langgraph.json's graph, driven through the SDK
 * client as Studio or an app would. The server's models are ChatOpenAI clients pointed at the
 * local OpenAI-compatible server, which answers each role from the script below.
 */

const repo = new URL("../..", import.meta.url).pathname;
const cliEntry = join(repo, "node_modules/@langchain/langgraph-cli/dist/cli/cli.mjs");

const GOAL = "Work out 6 times 7 and email the result to ops@example.com.";

const scenario: Scenario = {
  name: "dev-server",
  title: "calculator, then a HIGH email step that a person rejects",
  goal: GOAL,
  script: {
    planner: [
      planReply([
        {
          id: "step_1",
          description: "Multiply 6 by 7.",
          tool: "calculator",
          args: { expression: "6 * 7" },
          expected_output: "The product.",
        },
        {
          id: "step_2",
          description: "Email the result to ops.",
          tool: "send_email",
          args: { to: "ops@example.com", subject: "Result", body: "6 x 7 = {{step_1.output}}" },
          depends_on: ["step_1"],
          expected_output: "The email was sent.",
        },
      ]),
      // The recovery plan after the email was rejected: keep step_1, write a draft instead.
      planReply([
        {
          id: "step_3",
          description: "Save the result as a draft for ops instead of emailing it.",
          tool: "write_file",
          args: { path: "draft-for-ops.txt", content: "6 x 7 = {{step_1.output}}" },
          expected_output: "The draft file.",
        },
      ]),
    ],
    synthesizer: [
      (messages) => {
        const prompt = lastHumanText(messages);
        return `6 times 7 is ${resultOf(prompt, "step_1")} [step_1]; the email was not sent, a draft was saved instead [step_3].`;
      },
    ],
  },
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`langgraph dev exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(`${url}/ok`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`langgraph dev did not start within 120 s:\n${log()}`);
}

type Chunk = { event: string; data: unknown };

async function collect(stream: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const interruptsOf = (chunks: Chunk[]) =>
  chunks
    .filter((c) => c.event === "updates" && c.data !== null && typeof c.data === "object")
    .flatMap((c) => (c.data as { __interrupt__?: { value: ApprovalRequest }[] }).__interrupt__ ?? [])
    .map((i) => i.value);

const customOf = (chunks: Chunk[]) =>
  chunks.filter((c) => c.event === "custom").map((c) => c.data as { type: string; stepId?: string });

describe("langgraph dev serves plan_execute (SDK client)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pe-dev-"));
  const workspace = join(dir, "workspace");
  const outbox = join(dir, "outbox");
  let fake: FakeOpenAI;
  let server: ChildProcess;
  let output = "";
  let client: Client;

  beforeAll(async () => {
    fake = await serveScenario(scenario);
    const port = await freePort();
    server = spawn(
      process.execPath,
      [cliEntry, "dev", "--no-browser", "--no-reload", "--port", String(port), "--host", "127.0.0.1"],
      {
        cwd: repo,
        detached: true,
        env: {
          ...process.env,
          OPENAI_API_KEY: "local",
          OPENAI_BASE_URL: fake.url,
          PLANNER_MODEL: localModelName("planner"),
          EXECUTOR_MODEL: localModelName("executor"),
          EVALUATOR_MODEL: localModelName("evaluator"),
          SYNTHESIZER_MODEL: localModelName("synthesizer"),
          PLAN_EXECUTE_WORKSPACE: workspace,
          PLAN_EXECUTE_OUTBOX: outbox,
          LANGSMITH_TRACING: "false",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    server.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    server.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    const apiUrl = `http://127.0.0.1:${port}`;
    await waitUntilServing(apiUrl, server, () => output);
    client = new Client({ apiUrl });
  }, 150_000);

  afterAll(async () => {
    // The CLI starts the API server as a child of its own: stop the whole process group.
    if (server?.pid && server.exitCode === null) process.kill(-server.pid, "SIGTERM");
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("prints the Studio link and shows the input and context schemas with descriptions", async () => {
    expect(output).toMatch(
      /Studio UI: .*https:\/\/smith\.langchain\.com\/studio\?baseUrl=http:\/\/127\.0\.0\.1:\d+/,
    );
    const [assistant] = await client.assistants.search({ graphId: "plan_execute" });
    expect(assistant).toBeDefined();
    const schemas = await client.assistants.getSchemas(assistant!.assistant_id);
    const input = schemas.input_schema as { properties: Record<string, { description?: string }> };
    expect(input.properties.goal?.description).toBe("What the agent should achieve, in plain language.");
    const context = schemas.context_schema as {
      properties: Record<string, { description?: string; enum?: string[]; default?: unknown }>;
    };
    expect(context.properties.approvePlan).toMatchObject({
      enum: ["never", "always", "risky"],
      default: "never",
    });
    expect(context.properties.approvePlan?.description).toMatch(/approve the plan/);
    expect(context.properties.plannerModel?.description).toMatch(/planner/);
    expect(context.properties.maxCostUsd?.description).toMatch(/Budget/);
    const state = schemas.state_schema as { properties: Record<string, unknown> };
    expect(Object.keys(state.properties)).toEqual(
      expect.arrayContaining(["goal", "plan", "steps", "finalAnswer"]),
    );
  });

  it("stops for the plan, runs to a HIGH step, replans after a rejection and answers", async () => {
    const thread = await client.threads.create();
    const streamMode = ["updates", "custom"] as ("updates" | "custom")[];

    // 1. The run stops at the plan review: updates and progress events stream live.
    const first = await collect(
      client.runs.stream(thread.thread_id, "plan_execute", {
        input: { goal: GOAL },
        context: { approvePlan: "always", autoApprove: "MEDIUM" },
        streamMode,
      }) as AsyncIterable<Chunk>,
    );
    const updatedNodes = first
      .filter((c) => c.event === "updates")
      .flatMap((c) => Object.keys(c.data as object));
    expect(updatedNodes).toContain("planner");
    expect(customOf(first).map((e) => e.type)).toContain("plan_created");
    const [planStop] = interruptsOf(first);
    expect(planStop).toMatchObject({ type: "plan_approval", version: 1 });
    expect((planStop as { steps: { id: string; risk: string }[] }).steps.map((s) => [s.id, s.risk])).toEqual([
      ["step_1", "LOW"],
      ["step_2", "HIGH"],
    ]);

    // 2. Approve the plan with a command: step_1 runs, the email waits with its resolved args.
    const second = await collect(
      client.runs.stream(thread.thread_id, "plan_execute", {
        command: { resume: { action: "approve" } },
        streamMode,
      }) as AsyncIterable<Chunk>,
    );
    const progress = customOf(second);
    expect(progress).toContainEqual(expect.objectContaining({ type: "step_finished", stepId: "step_1" }));
    expect(progress.filter((e) => e.stepId === "step_2").map((e) => e.type)).not.toContain("step_started");
    const [stepStop] = interruptsOf(second);
    expect(stepStop).toMatchObject({
      type: "step_approval",
      steps: [{ stepId: "step_2", tool: "send_email", risk: "HIGH", args: { body: "6 x 7 = 42" } }],
    });
    const waiting = await client.threads.getState(thread.thread_id);
    expect(waiting.next).toEqual(["approve_steps"]);

    // 3. Reject the email: the replanner keeps step_1 and writes a draft instead; under
    //    approvePlan "always" that recovery plan stops for approval too, showing step_1 as kept.
    const third = await collect(
      client.runs.stream(thread.thread_id, "plan_execute", {
        command: {
          resume: { decisions: { step_2: { action: "reject", reason: "Do not email ops today." } } },
        },
        streamMode,
      }) as AsyncIterable<Chunk>,
    );
    const thirdNodes = third
      .filter((c) => c.event === "updates")
      .flatMap((c) => Object.keys(c.data as object));
    expect(thirdNodes).toEqual(expect.arrayContaining(["approve_steps", "replanner"]));
    expect(thirdNodes).not.toContain("executor");
    const [recoveryStop] = interruptsOf(third);
    expect(recoveryStop).toMatchObject({ type: "plan_approval", version: 2, kept: [{ id: "step_1" }] });
    expect((recoveryStop as { steps: { id: string }[] }).steps.map((s) => s.id)).toEqual(["step_3"]);

    const fourth = await collect(
      client.runs.stream(thread.thread_id, "plan_execute", {
        command: { resume: { action: "approve" } },
        streamMode,
      }) as AsyncIterable<Chunk>,
    );
    const fourthNodes = fourth
      .filter((c) => c.event === "updates")
      .flatMap((c) => Object.keys(c.data as object));
    expect(fourthNodes).toEqual(expect.arrayContaining(["review_plan", "executor", "synthesizer"]));
    expect(interruptsOf(fourth)).toEqual([]);

    // 4. The final state: the rejected step stays rejected, nothing was emailed, the draft exists.
    const final = await client.threads.getState(thread.thread_id);
    const values = final.values as PlanExecuteStateType;
    expect(final.next).toEqual([]);
    expect(values.error).toBeNull();
    expect(values.finalAnswer).toBe(
      "6 times 7 is 42 [step_1]; the email was not sent, a draft was saved instead [step_3].",
    );
    expect(Object.fromEntries(Object.values(values.steps).map((s) => [s.id, s.status]))).toEqual({
      step_1: "succeeded",
      step_2: "rejected",
      step_3: "succeeded",
    });
    expect(values.steps.step_1?.attempts).toBe(1);
    expect(values.replans).toBe(1);
    expect(values.audit.map((e) => [e.stepId, e.decision])).toEqual([
      ["step_2", "rejected"],
      ["step_3", "ran"],
    ]);
    expect(readFileSync(join(workspace, "draft-for-ops.txt"), "utf8")).toBe("6 x 7 = 42");
    expect(() => readdirSync(outbox)).toThrow();

    // 5. The thread's history has a checkpoint for each stop and step of the way.
    const history = await client.threads.getHistory(thread.thread_id, { limit: 100 });
    const stops = history.map((h) => h.next.join(",")).filter(Boolean);
    expect(stops).toEqual(expect.arrayContaining(["review_plan", "approve_steps", "synthesizer"]));
    expect(history.length).toBeGreaterThan(6);

    // Every model call went over HTTP to the local server, as the right role.
    const models = fake.chatRequests.map((r) => r.body?.model);
    expect(models).toEqual([
      localModelName("planner"),
      localModelName("planner"),
      localModelName("synthesizer"),
    ]);

    // 6. Time travel through the server (Studio's "edit state" on an earlier checkpoint): the new
    //    branch starts from the steps as of that checkpoint — neither run yet — not from what the
    //    thread did after it; run on, it stops at the email's approval again and sends nothing.
    const statuses = (v: unknown) =>
      Object.fromEntries(Object.values((v as PlanExecuteStateType).steps ?? {}).map((r) => [r.id, r.status]));
    const beforeRun = history.find(
      (h) => h.next.join() === "executor" && statuses(h.values).step_1 === "pending",
    )!;
    expect(beforeRun).toBeDefined();
    const parent = history.find(
      (h) => h.checkpoint.checkpoint_id === beforeRun.parent_checkpoint?.checkpoint_id,
    );
    await client.threads.updateState(thread.thread_id, {
      values: { finishRequested: false },
      checkpointId: beforeRun.checkpoint.checkpoint_id!,
      asNode: parent!.next[0]!,
    });
    const travelled = await client.threads.getState(thread.thread_id);
    expect(statuses(travelled.values)).toEqual({ step_1: "pending", step_2: "pending" });
    expect(travelled.next).toEqual(["executor"]);
    const branch = await collect(
      client.runs.stream(thread.thread_id, "plan_execute", {
        input: null,
        streamMode,
      }) as AsyncIterable<Chunk>,
    );
    expect(interruptsOf(branch)).toEqual([
      expect.objectContaining({
        type: "step_approval",
        steps: [expect.objectContaining({ stepId: "step_2" })],
      }),
    ]);
    const atStop = await client.threads.getState(thread.thread_id);
    expect(statuses(atStop.values)).toEqual({ step_1: "succeeded", step_2: "pending" });
    expect(() => readdirSync(outbox)).toThrow();
  }, 120_000);

  it("refuses a second run on a thread whose run is still going (multitask strategy reject)", async () => {
    // The scenario's script is used up, so this run's planner call gets HTTP 500s and ChatOpenAI
    // keeps retrying with backoff: the run stays busy for seconds.
    const thread = await client.threads.create();
    const busy = await client.runs.create(thread.thread_id, "plan_execute", { input: { goal: "busy" } });
    const second = client.runs.create(thread.thread_id, "plan_execute", { input: { goal: "second" } });
    await expect(second).rejects.toThrow(/HTTP 422: Thread is already running a task/);
    const runs = await client.runs.list(thread.thread_id);
    expect(runs.map((r) => r.run_id)).toEqual([busy.run_id]);
    await client.runs.cancel(thread.thread_id, busy.run_id);
  }, 60_000);
});
