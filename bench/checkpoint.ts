/**
 * Checkpoint size: a 50-step plan whose steps each return 10 KB, checkpointed in SQLite, for this
 * agent, for this agent with the layout before the checkpoint diet (`agent-whole`: the whole
 * `steps` map in every checkpoint) and for a `Send`-per-wave graph; and a run of the agent with
 * an approval and a replan, with both layouts. Reported as bytes stored ÷ bytes of step output: the file
 * (after a WAL checkpoint), the `checkpoints` table (checkpoint + metadata blobs) and the `writes`
 * table (pending-write values).
 *
 *   npx tsx bench/checkpoint.ts
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Command, type BaseCheckpointSaver } from "@langchain/langgraph";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import { MODEL_ROLES } from "../src/core/roles.js";
import { pendingRecords } from "../src/nodes/planning.js";
import type { PlanStep } from "../src/plan/schema.js";
import { ScriptedChatModel } from "../src/testing/scripted.js";
import { ToolRegistry } from "../src/tools/registry.js";
import type { PlanTool, RiskTier } from "../src/tools/types.js";
import {
  agentWithPlan,
  instantTool,
  planShape,
  waveGraph,
  withWholeSteps,
  type Node,
  type Shape,
} from "./harness.js";

/** `approval+replan`: the random plan with one HIGH step that stops for approval and one that fails and is replanned. */
export type CheckpointScenario = Shape | "approval+replan";

/** `agent-whole`: this agent with the layout before the diet (the whole `steps` map in every checkpoint). */
export type CheckpointGraph = "agent" | "agent-whole" | "waves";

export interface CheckpointRow {
  graph: CheckpointGraph;
  shape: CheckpointScenario;
  steps: number;
  outputBytes: number;
  fileBytes: number;
  checkpointBytes: number;
  writeBytes: number;
  checkpoints: number;
  writes: number;
  /** fileBytes ÷ outputBytes. */
  ratio: number;
}

const OUTPUT_BYTES = 10 * 1024;

/** 10 KB of text that differs from step to step (SQLite stores blobs uncompressed either way). */
function output(id: string): string {
  const unit = `${id}:`;
  let text = "";
  let i = 0;
  while (text.length < OUTPUT_BYTES) text += `${unit}${(i++ * 7919) % 100_003} `;
  return text.slice(0, OUTPUT_BYTES);
}

/**
 * The random plan, with its step 10 a HIGH tool (the run stops for approval, and is resumed with
 * one) and its step 20 a tool that fails (the replanner writes a step in its place). Every step
 * that succeeds returns 10 KB, the replacement too.
 */
async function agentWithApprovalAndReplan(nodes: Node[], saver: BaseCheckpointSaver, wholeSteps: boolean) {
  const tool = (name: string, risk: RiskTier, fail = false): PlanTool<{ id: string }> => ({
    ...instantTool(output),
    name,
    risk,
    async run({ id }) {
      if (fail) throw new Error("no such record");
      return output(id);
    },
  });
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({
        name: role,
        fallback: "done",
        replies:
          role === "planner"
            ? [
                {
                  structured: {
                    steps: [
                      {
                        id: "s_fix",
                        description: "instead of s20",
                        tool: "work",
                        args: JSON.stringify({ id: "s_fix" }),
                        depends_on: [],
                        expected_output: "anything",
                      },
                    ],
                  },
                },
              ]
            : [],
      }),
    ]),
  ) as Record<(typeof MODEL_ROLES)[number], ScriptedChatModel>;
  const options = {
    models,
    tools: new ToolRegistry([tool("work", "LOW"), tool("send", "HIGH"), tool("lookup", "LOW", true)]),
    checkpointer: saver,
    interruptBefore: ["planner" as const],
    limits: { maxConcurrency: 64 },
  };
  const agent = wholeSteps ? withWholeSteps(options) : createPlanExecuteAgent(options);
  const config = { configurable: { thread_id: "bench-approval" }, recursionLimit: 10_000 };
  await agent.invoke({ goal: "bench" }, config);
  const plan: PlanStep[] = nodes.map((n) => ({
    id: n.id,
    description: n.id,
    tool: n.id === "s10" ? "send" : n.id === "s20" ? "lookup" : "work",
    args: { id: n.id },
    // Nothing depends on the failing step, so the rest of the plan runs.
    depends_on: n.depends_on.filter((d) => d !== "s20"),
    expected_output: "anything",
  }));
  await agent.updateState(
    config,
    { plan, steps: pendingRecords(plan), planVersion: 1, planAttempts: 1 },
    "planner",
  );
  return async () => {
    const stopped = await agent.invoke(null, config);
    if (!("__interrupt__" in stopped)) throw new Error("approval bench: the run did not stop for approval");
    const state = await agent.invoke(new Command({ resume: { action: "approve" } }), config);
    const done = Object.values(state.steps).filter((s) => s.status === "succeeded").length;
    if (state.finalAnswer !== "done" || state.replans !== 1 || done !== nodes.length)
      throw new Error(
        `approval bench: run incomplete: ${done}/${nodes.length} steps, ${state.replans} replans`,
      );
  };
}

async function measureOne(
  graph: CheckpointGraph,
  shape: CheckpointScenario,
  steps: number,
): Promise<CheckpointRow> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-checkpoint-"));
  const file = path.join(dir, "checkpoints.sqlite");
  const saver = SqliteSaver.fromConnString(file);
  try {
    const nodes = planShape(shape === "approval+replan" ? "random" : shape, steps);
    const run =
      shape === "approval+replan"
        ? await agentWithApprovalAndReplan(nodes, saver, graph === "agent-whole")
        : graph === "waves"
          ? waveGraph(nodes, output, saver)
          : await agentWithPlan(nodes, output, saver, "bench", graph === "agent-whole");
    await run();
    const db = saver.db;
    db.pragma("wal_checkpoint(TRUNCATE)");
    const one = (sql: string) => Number((db.prepare(sql).get() as { n: number | null }).n ?? 0);
    const row = {
      checkpointBytes: one("SELECT SUM(LENGTH(checkpoint) + LENGTH(metadata)) AS n FROM checkpoints"),
      writeBytes: one("SELECT SUM(LENGTH(value)) AS n FROM writes"),
      checkpoints: one("SELECT COUNT(*) AS n FROM checkpoints"),
      writes: one("SELECT COUNT(*) AS n FROM writes"),
    };
    db.close();
    const fileBytes = (await stat(file)).size;
    const outputBytes = steps * OUTPUT_BYTES;
    return { graph, shape, steps, outputBytes, fileBytes, ...row, ratio: fileBytes / outputBytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function measureCheckpoints(
  options: { steps?: number; shapes?: Shape[] } = {},
): Promise<CheckpointRow[]> {
  const rows: CheckpointRow[] = [];
  for (const shape of options.shapes ?? ["random", "chain"]) {
    for (const graph of ["agent", "agent-whole", "waves"] as const)
      rows.push(await measureOne(graph, shape, options.steps ?? 50));
  }
  for (const graph of ["agent", "agent-whole"] as const)
    rows.push(await measureOne(graph, "approval+replan", options.steps ?? 50));
  return rows;
}

export function printCheckpoints(rows: CheckpointRow[]): void {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log("graph       shape           steps  output    file      checkpoints  writes     file ÷ output");
  for (const r of rows) {
    console.log(
      `${r.graph.padEnd(11)} ${r.shape.padEnd(15)} ${String(r.steps).padStart(5)}  ${kb(r.outputBytes).padEnd(9)} ${kb(r.fileBytes).padEnd(9)} ${kb(r.checkpointBytes).padEnd(12)} ${kb(r.writeBytes).padEnd(10)} ${r.ratio.toFixed(2)}×`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printCheckpoints(await measureCheckpoints());
}
