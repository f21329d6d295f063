/**
 * Plan search benchmark: seeded synthetic tasks where every plan has a hidden chance of failing.
 *
 *   npx tsx bench/search.ts [--tasks N]
 *
 * Each task offers candidate plans c1…c3 (2–4 steps; a shared first step, then steps of their own)
 * and recovery plans r1, r2, … from the replanner, each with a hidden failure chance drawn from
 * U(0.1, 0.8); whether a plan's last step fails is drawn once per task, so every configuration
 * meets the same luck. The value judge sees each candidate's true success chance through noise
 * (σ = 0.15). Configurations: k = 1 (today: one plan, then recovery plans), k = 2 and k = 3, each
 * with UCT and best-first selection, all under the same bounds: maxReplans 2, planSearch.maxNodes 5,
 * and a budget of 10 executed steps (a run that reaches it is finished there, as a partial answer).
 *
 * Counted: runs whose answer is complete (every step of the final plan succeeded), and the planner's
 * and the judge's tokens (o200k_base over the messages each call sent plus its response format and
 * its answer, as the scripted models recorded them).
 */
import { Command, MemorySaver } from "@langchain/langgraph";
import type { BaseMessage } from "@langchain/core/messages";
import { getEncoding } from "js-tiktoken";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import type { PlanExecuteContext } from "../src/core/settings.js";
import { MODEL_ROLES, type ModelRole } from "../src/core/roles.js";
import type { PlanExecuteStateType } from "../src/core/state.js";
import { JudgeSchema, WireCandidatesSchema } from "../src/nodes/plan-search.js";
import { buildPlannerPrompt } from "../src/nodes/prompts.js";
import { buildCandidatesPrompt } from "../src/nodes/plan-search.js";
import { WirePlanSchema } from "../src/plan/schema.js";
import { ScriptedChatModel, type ScriptedReply } from "../src/testing/scripted.js";
import { ToolRegistry } from "../src/tools/registry.js";
import { ToolInputError, type PlanTool } from "../src/tools/types.js";
import { scenarioTools } from "../src/demo/agent.js";
import { mulberry32 } from "./makespan.js";

let encoder: ReturnType<typeof getEncoding> | undefined;
const count = (text: string) => (text ? (encoder ??= getEncoding("o200k_base")).encode(text).length : 0);
const schemaTokens = (schema: z.ZodType) => count(JSON.stringify(z.toJSONSchema(schema)));

interface Plan {
  label: string;
  fails: boolean;
  chance: number;
  steps: { id: string; tool: string; args: Record<string, unknown>; depends_on: string[] }[];
}

interface Task {
  id: number;
  candidates: Plan[];
  recoveries: Plan[];
  /** The judge's noisy view of each candidate's success chance. */
  judged: number[];
}

function makeTask(id: number, seed: number): Task {
  const rand = mulberry32(seed * 7919 + id);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const plan = (label: string, shared: boolean): Plan => {
    const chance = 0.1 + 0.7 * rand();
    const fails = rand() < chance;
    const n = 2 + Math.floor(rand() * 3);
    const steps: Plan["steps"] = [];
    const first = shared ? "fetch_1" : `${label}_1`;
    steps.push(
      shared
        ? { id: first, tool: "fetch", args: { task: id, key: "base" }, depends_on: [] }
        : { id: first, tool: "work", args: { task: id, plan: label, step: 1 }, depends_on: ["fetch_1"] },
    );
    for (let s = 2; s <= n; s++) {
      steps.push({
        id: `${label}_${s}`,
        tool: "work",
        args: { task: id, plan: label, step: s, input: `{{${steps[s - 2]!.id}.output}}` },
        depends_on: [steps[s - 2]!.id],
      });
    }
    return { label, fails, chance, steps };
  };
  const candidates = [1, 2, 3].map((i) => plan(`c${i}`, true));
  const recoveries = [1, 2, 3, 4].map((i) => plan(`r${i}`, false));
  const judged = candidates.map((c) => Math.min(1, Math.max(0, 1 - c.chance + 0.15 * normal())));
  return { id, candidates, recoveries, judged };
}

/** `fetch` always answers; `work` fails on the last step of a plan whose hidden draw says so. */
function taskTools(task: Task): PlanTool<any>[] {
  const byLabel = new Map([...task.candidates, ...task.recoveries].map((p) => [p.label, p]));
  const fetch: PlanTool<{ task: number; key: string }> = {
    name: "fetch",
    description: "Fetches a named input of a task.",
    schema: z.object({ task: z.number(), key: z.string() }).strict(),
    risk: "LOW",
    run: (a) => Promise.resolve(`${a.key} of task ${a.task}`),
  };
  const work: PlanTool<{ task: number; plan: string; step: number; input?: string }> = {
    name: "work",
    description: "One step of a task's plan.",
    schema: z
      .object({ task: z.number(), plan: z.string(), step: z.number(), input: z.string().optional() })
      .strict(),
    risk: "LOW",
    run: (a) => {
      const p = byLabel.get(a.plan);
      const last = p ? a.step === p.steps.length : true;
      if (!p || (last && p.fails))
        return Promise.reject(new ToolInputError(`${a.plan} step ${a.step} failed`));
      return Promise.resolve(`${a.plan}.${a.step}`);
    },
  };
  return [fetch, work];
}

const wire = (p: Plan) => ({
  steps: p.steps.map((s) => ({
    ...s,
    description: `${p.label} step`,
    args: JSON.stringify(s.args),
    expected_output: "a result",
    reflect: false,
  })),
});

/** The planner: k candidates (or one plan) for the task; each replanner call gets the next recovery plan. */
function plannerReply(task: Task, k: number): (m: BaseMessage[]) => ScriptedReply {
  let recovered = 0;
  return (messages) => {
    const system = String(messages[0]?.content ?? "");
    if (system.includes("You are the replanner")) {
      const r = task.recoveries[recovered++];
      return { structured: r ? wire(r) : { steps: [] } };
    }
    if (k > 1) return { structured: { candidates: task.candidates.slice(0, k).map(wire) } };
    return { structured: wire(task.candidates[0]!) };
  };
}

function judgeReply(task: Task, k: number): ScriptedReply {
  return {
    structured: {
      scores: task.judged
        .slice(0, k)
        .map((score, i) => ({ candidate: i + 1, score: Math.round(score * 100) / 100, reason: "estimated" })),
    },
  };
}

/** o200k tokens of a model's calls: messages (3 + content each, 3 per request), response format, answer. */
function callTokens(
  model: ScriptedChatModel,
  format: (messages: BaseMessage[]) => z.ZodType,
  answers: unknown[],
) {
  let input = 0;
  let output = 0;
  model.calls.forEach((call, i) => {
    input +=
      3 + call.messages.reduce((n, m) => n + 3 + count(m.text), 0) + schemaTokens(format(call.messages));
    output += count(JSON.stringify(answers[i] ?? ""));
  });
  return { input, output, calls: model.calls.length };
}

export interface SearchConfig {
  name: string;
  k: number;
  selection: "uct" | "best_first";
}

export const SEARCH_CONFIGS: SearchConfig[] = [
  { name: "k = 1 (no search)", k: 1, selection: "uct" },
  { name: "k = 2, UCT", k: 2, selection: "uct" },
  { name: "k = 2, best-first", k: 2, selection: "best_first" },
  { name: "k = 3, UCT", k: 3, selection: "uct" },
  { name: "k = 3, best-first", k: 3, selection: "best_first" },
];

export interface SearchRow extends SearchConfig {
  maxReplans: number;
  tasks: number;
  succeeded: number;
  successRate: number;
  /** Mean per task. */
  plannerTokens: number;
  judgeTokens: number;
  plannerCalls: number;
  stepsExecuted: number;
  /** Runs stopped by the step budget. */
  budgetStops: number;
}

/** The bounds every configuration runs under, at two levels: no recovery plans, and two. */
export const SEARCH_BOUNDS = [0, 2].map((maxReplans) => ({ maxReplans, maxStepsExecuted: 10 }));

async function runTask(task: Task, config: SearchConfig, bounds: PlanExecuteContext) {
  const planner = plannerReply(task, config.k);
  const answers: unknown[] = [];
  const recorded: ScriptedReply = (messages) => {
    const reply = planner(messages) as { structured: Record<string, unknown> };
    answers.push(reply.structured);
    return reply;
  };
  const models = Object.fromEntries(
    MODEL_ROLES.map((role) => [
      role,
      new ScriptedChatModel({
        name: `bench-${role}`,
        fallback:
          role === "planner" ? recorded : role === "evaluator" ? judgeReply(task, config.k) : "answer",
      }),
    ]),
  ) as Record<ModelRole, ScriptedChatModel>;
  const agent = createPlanExecuteAgent({
    models,
    tools: new ToolRegistry(taskTools(task)),
    checkpointer: new MemorySaver(),
  });
  const thread = { configurable: { thread_id: `task-${task.id}` } };
  const context: PlanExecuteContext = {
    ...bounds,
    maxAnswerRevisions: 0,
    planSearch: { candidates: config.k, selection: config.selection, maxNodes: 5 },
  };
  let state = (await agent.invoke(
    { goal: `synthetic task ${task.id}` },
    { ...thread, context },
  )) as PlanExecuteStateType;
  let budgetStop = false;
  const waiting = await agent.getState(thread);
  if (waiting.next.length > 0) {
    budgetStop = true;
    state = (await agent.invoke(
      new Command({ resume: { action: "finish" } }),
      thread,
    )) as PlanExecuteStateType;
  }
  const ok =
    state.finalAnswer !== null &&
    state.plan.length > 0 &&
    state.plan.every((s) => state.steps[s.id]?.status === "succeeded");
  const plannerFormat = (m: BaseMessage[]) =>
    m.some((x) => x.text.includes("distinct candidate plans")) ? WireCandidatesSchema : WirePlanSchema;
  const plannerTokens = callTokens(models.planner, plannerFormat, answers);
  const judgeAnswers = models.evaluator.calls.map(
    () => (judgeReply(task, config.k) as { structured: unknown }).structured,
  );
  const judgeTokens = callTokens(models.evaluator, () => JudgeSchema, judgeAnswers);
  const steps = Object.values(state.steps).filter((r) => r.startedAt !== null).length;
  return { ok, plannerTokens, judgeTokens, steps, budgetStop };
}

export async function measureSearch(options: { tasks?: number; seed?: number } = {}): Promise<SearchRow[]> {
  const tasks = Array.from({ length: options.tasks ?? 100 }, (_, i) => makeTask(i + 1, options.seed ?? 13));
  const rows: SearchRow[] = [];
  for (const bounds of SEARCH_BOUNDS)
    for (const config of SEARCH_CONFIGS) rows.push(await measureConfig(tasks, config, bounds));
  return rows;
}

async function measureConfig(
  tasks: Task[],
  config: SearchConfig,
  bounds: (typeof SEARCH_BOUNDS)[number],
): Promise<SearchRow> {
  let succeeded = 0;
  let plannerTokens = 0;
  let judgeTokens = 0;
  let plannerCalls = 0;
  let stepsExecuted = 0;
  let budgetStops = 0;
  for (const task of tasks) {
    const r = await runTask(task, config, bounds);
    if (r.ok) succeeded++;
    plannerTokens += r.plannerTokens.input + r.plannerTokens.output;
    plannerCalls += r.plannerTokens.calls;
    judgeTokens += r.judgeTokens.input + r.judgeTokens.output;
    stepsExecuted += r.steps;
    if (r.budgetStop) budgetStops++;
  }
  const n = tasks.length;
  return {
    ...config,
    maxReplans: bounds.maxReplans,
    tasks: n,
    succeeded,
    successRate: succeeded / n,
    plannerTokens: plannerTokens / n,
    judgeTokens: judgeTokens / n,
    plannerCalls: plannerCalls / n,
    stepsExecuted: stepsExecuted / n,
    budgetStops,
  };
}

export interface CandidateCallTokens {
  k: number;
  oneCall: number;
  kCalls: number;
}

/**
 * Input tokens of asking for k candidates in one call against k calls of one plan each, for the
 * demo tool catalogue and a demo goal: the prompt (system + goal) and the response format.
 */
export function measureCandidateCalls(): CandidateCallTokens[] {
  const tools = new ToolRegistry(scenarioTools({ latency: false }));
  const goal = "How many people live per square mile in Austin, Texas?";
  const messages = buildPlannerPrompt({ goal, tools: tools.describeForPrompt({ goal }), maxSteps: 12 });
  const tokensOf = (ms: BaseMessage[]) => 3 + ms.reduce((n, m) => n + 3 + count(m.text), 0);
  const single = tokensOf(messages) + schemaTokens(WirePlanSchema);
  return [2, 3].map((k) => ({
    k,
    oneCall: tokensOf(buildCandidatesPrompt(messages, k)) + schemaTokens(WireCandidatesSchema),
    kCalls: k * single,
  }));
}

export function printSearch(rows: SearchRow[], calls: CandidateCallTokens[]): void {
  const base = (r: SearchRow) =>
    rows.find((b) => b.k === 1 && b.maxReplans === r.maxReplans)?.plannerTokens ?? 0;
  console.table(
    rows.map((r) => ({
      maxReplans: r.maxReplans,
      config: r.name,
      success: `${(100 * r.successRate).toFixed(0)}% (${r.succeeded}/${r.tasks})`,
      "planner tokens/task": Math.round(r.plannerTokens),
      "extra vs k=1": Math.round(r.plannerTokens - base(r)),
      "judge tokens/task": Math.round(r.judgeTokens),
      "planner calls/task": r.plannerCalls.toFixed(2),
      "steps/task": r.stepsExecuted.toFixed(2),
      "budget stops": r.budgetStops,
    })),
  );
  console.table(calls.map((c) => ({ k: c.k, "one call (input)": c.oneCall, "k calls (input)": c.kCalls })));
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const n0 = (v: number) => v.toLocaleString("en-US", { maximumFractionDigits: 0 });

/** The plan search section: success rate and planner tokens per configuration, and one call against k. */
export function searchSection(search: { rows: SearchRow[]; calls: CandidateCallTokens[] }): string {
  const base = (r: SearchRow) =>
    search.rows.find((b) => b.k === 1 && b.maxReplans === r.maxReplans)?.plannerTokens ?? 0;
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  return `## Plan search

${search.rows[0]?.tasks ?? 0} seeded synthetic tasks (\`bench/search.ts\`). Each task offers three candidate plans and
a series of recovery plans, each with a hidden failure chance drawn from U(0.1, 0.8) (drawn once per task, so every
configuration meets the same luck); the value judge sees each candidate's success chance through noise (σ = 0.15).
Every configuration runs the whole graph on scripted models under the same bounds, at two levels of \`maxReplans\`
(0: no recovery plans; 2), with \`planSearch.maxNodes\` 5 and a budget of 10 executed steps (a run that reaches it
finishes there, partial). A run
succeeds when every step of its final plan succeeded. Tokens: o200k_base over each call's messages, response format
and answer.

${table(
  [
    "maxReplans",
    "configuration",
    "success rate",
    "planner tokens / task",
    "extra planner tokens vs k = 1",
    "judge tokens / task",
    "planner calls / task",
    "steps run / task",
    "budget stops",
  ],
  search.rows.map((r) => [
    r.maxReplans,
    r.name,
    `**${pct(r.successRate)}** (${r.succeeded}/${r.tasks})`,
    n0(r.plannerTokens),
    n0(r.plannerTokens - base(r)),
    n0(r.judgeTokens),
    r.plannerCalls.toFixed(2),
    r.stepsExecuted.toFixed(2),
    r.budgetStops,
  ]),
)}

The planner asks for k candidates in **one** structured call (\`{ candidates: [plan, …] }\`) rather than k calls of
one plan: the system prompt with the tool catalogue is sent once. Input tokens for a demo goal and the demo tool
catalogue (prompt and response format):

${table(
  ["k", "one call", "k calls"],
  search.calls.map((c) => [c.k, n0(c.oneCall), n0(c.kCalls)]),
)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { tasks: { type: "string" }, markdown: { type: "boolean", default: false } },
  });
  const rows = await measureSearch({ tasks: values.tasks ? Number(values.tasks) : 100 });
  const calls = measureCandidateCalls();
  printSearch(rows, calls);
  // --markdown: the BENCHMARKS.md section, to update it without running the whole suite.
  if (values.markdown) console.log(`\n${searchSection({ rows, calls })}`);
}
