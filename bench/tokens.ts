/**
 * Tokens: this agent against a ReAct agent on every bundled demo scenario.
 *
 * Both agents talk to a local OpenAI-compatible server through ChatOpenAI, so what is counted is
 * what the client really sends (messages, tool definitions, response formats) and what the server
 * answered, tokenised with o200k_base (js-tiktoken, ranks bundled in the package). Three runs per
 * scenario, side by side:
 *   - react:  `createReactAgent` (LangGraph prebuilt) with the same tools, scripted to make the same
 *             tool calls as this agent and to give the same final answer (see {@link reactTurns});
 *   - schema: this agent with the tool list rendered as before the lean prompt (JSON schemas);
 *   - lean:   this agent as it is.
 *
 *   npm run bench:tokens
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { HumanMessage } from "@langchain/core/messages";
import { tool as langChainTool } from "@langchain/core/tools";
import { Command, MemorySaver } from "@langchain/langgraph";
import { createReactAgent } from "@langchain/langgraph/prebuilt";
import { ChatOpenAI } from "@langchain/openai";
import { getEncoding } from "js-tiktoken";
import { z } from "zod";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import { SCENARIOS } from "../src/demo/index.js";
import { scenarioTools } from "../src/demo/agent.js";
import { localModelSettings, localServerEnv, serveScenario } from "../src/demo/local-server.js";
import type { Scenario } from "../src/demo/types.js";
import { openAIModelProvider } from "../src/models/provider.js";
import { findReferences, isWholeReference } from "../src/plan/template.js";
import { startFakeOpenAI, type ChatRequest, type RecordedRequest } from "../src/testing/fake-openai/index.js";
import { ToolRegistry } from "../src/tools/registry.js";
import { stepOutputText } from "../src/tools/prompt-text.js";
import type { PlanStep } from "../src/plan/schema.js";
import type { PlanTool, ToolContext } from "../src/tools/types.js";
import { median } from "./harness.js";

let encoder: ReturnType<typeof getEncoding> | undefined;
/** o200k_base tokens of `text` (the ranks ship inside js-tiktoken; loaded on first use). */
const count = (text: string) => (text ? (encoder ??= getEncoding("o200k_base")).encode(text).length : 0);

/** What one recorded request cost, counted the way OpenAI's cookbook counts chat tokens. */
export interface RequestTokens {
  role: string;
  input: number;
  output: number;
}

/**
 * Input: 3 per message + role + content (+ tool calls' names and arguments), 3 to prime the reply,
 * plus the tool definitions and the response format as the JSON sent (OpenAI renders tools in a
 * form of its own, a little shorter than JSON: the same rule is applied to both agents).
 * Output: the answer's content plus its tool calls' names and arguments.
 */
export function requestTokens(req: RecordedRequest): RequestTokens {
  const body = req.body as ChatRequest;
  let input = 3;
  for (const m of body.messages) {
    const content =
      typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text ?? "").join("");
    input += 3 + count(m.role) + count(content);
    for (const call of (m.tool_calls ?? []) as { function: { name: string; arguments: string } }[]) {
      input += 3 + count(call.function.name) + count(call.function.arguments);
    }
  }
  if (body.tools?.length) input += count(JSON.stringify(body.tools));
  if (body.response_format && body.response_format.type === "json_schema") {
    input += count(JSON.stringify(body.response_format.json_schema));
  }
  const answer = req.answer;
  const output = answer
    ? count(answer.content) + answer.toolCalls.reduce((n, c) => n + 3 + count(c.name) + count(c.arguments), 0)
    : 0;
  return { role: body.model, input, output };
}

/** One tool call this agent made: the step, its template args, and the args it ran with. */
export interface Call {
  step: PlanStep;
  args: Record<string, unknown>;
  usesModel: boolean;
}

export interface AgentRun {
  requests: RequestTokens[];
  calls: Call[];
  finalAnswer: string;
  /** Tokens of the first planner request's system prompt, and of its tool list. */
  plannerSystem: number;
  plannerTools: number;
  /** The tools the first planner prompt showed with their signatures (the others by name only). */
  plannerFull: string[];
}

/** The tool list as the planner saw it before the lean prompt: description and JSON schema per tool. */
class SchemaPromptRegistry extends ToolRegistry {
  override describeForPrompt(): string {
    return this.list()
      .map((t) => {
        const schema = JSON.stringify(z.toJSONSchema(t.schema, { io: "input", unrepresentable: "any" }));
        return `- ${t.name} [${t.risk}]: ${t.description}\n  args schema: ${schema}`;
      })
      .join("\n");
  }
}

async function withWorkspace<T>(
  scenario: Scenario,
  fn: (dirs: { workspace: string; outbox: string }) => Promise<T>,
) {
  const root = await mkdtemp(path.join(tmpdir(), `bench-tokens-${scenario.name}-`));
  const dirs = { workspace: path.join(root, "workspace"), outbox: path.join(root, "outbox") };
  try {
    await scenario.prepare?.(dirs.workspace);
    return await fn(dirs);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** This agent on `scenario`, through ChatOpenAI and the scenario's local server. Approvals are given. */
export function runPlanExecute(
  scenario: Scenario,
  prompt: "lean" | "schema",
  /** Settings over the scenario's own (e.g. `{ critic: "off" }`). */
  overrides: Record<string, unknown> = {},
): Promise<AgentRun> {
  return withWorkspace(scenario, async (dirs) => {
    const calls: Call[] = [];
    const tools = scenarioTools({ ...dirs, latency: false }).map((t): PlanTool => ({
      ...t,
      run(args: Record<string, unknown>, ctx: ToolContext) {
        calls.push({ step: ctx.step, args, usesModel: t.usesModel === true });
        return t.run(args, ctx);
      },
    }));
    const server = await serveScenario(scenario);
    try {
      const agent = createPlanExecuteAgent({
        models: openAIModelProvider(localServerEnv(server), { maxRetries: 0 }),
        tools: prompt === "lean" ? new ToolRegistry(tools) : new SchemaPromptRegistry(tools),
        checkpointer: new MemorySaver(),
      });
      const config = {
        configurable: { thread_id: `tokens-${scenario.name}` },
        context: { ...scenario.context, ...overrides, ...localModelSettings() },
      };
      let result = await agent.invoke({ goal: scenario.goal }, config);
      for (let stops = 0; (result as { __interrupt__?: unknown[] }).__interrupt__?.length; stops++) {
        if (stops > 5) throw new Error(`${scenario.name}: too many approval stops`);
        result = await agent.invoke(new Command({ resume: { action: "approve" } }) as never, config);
      }
      if (!result.finalAnswer) throw new Error(`${scenario.name}: no final answer (${result.error})`);
      const planner = server.chatRequests.find((r) => r.body?.model === localModelSettings().plannerModel);
      const system = String(planner?.body?.messages[0]?.content ?? "");
      const toolList = system.split("\nTools:\n")[1]?.split("\n\nRules:")[0] ?? "";
      return {
        requests: server.chatRequests.map(requestTokens),
        calls,
        finalAnswer: result.finalAnswer,
        plannerSystem: count(system),
        plannerTools: count(toolList),
        plannerFull: [...toolList.matchAll(/^- (\w+)\(/gm)].map((m) => m[1]!),
      };
    } finally {
      await server.close();
    }
  });
}

/** A tool call of the ReAct baseline. */
interface ReactCall {
  id: string;
  name: string;
  args: Record<string, unknown>;
}

/**
 * The ReAct agent's tool calls, turn by turn, derived from the calls this agent made:
 *   - steps done by a model (llm, summarize) are not tool calls: the ReAct model does that work
 *     itself, in its own next message, at no extra request;
 *   - independent calls go out together as parallel tool calls of one turn (the fewest turns a
 *     ReAct agent can take); a step waits for the turn after its dependencies, and a recovery
 *     plan's steps for the turn after the plan they replace;
 *   - an argument this agent passed by reference to a load_csv step's rows (`{{step_1.output.rows}}`)
 *     becomes that file's `path`: a ReAct model cannot pass data by reference, and copying the rows
 *     into the call would cost it their tokens once as output and again as input in every later turn.
 * Each choice favours the baseline.
 */
export function reactTurns(
  scenario: Scenario,
  calls: readonly Call[],
  options: { copyRows?: boolean } = {},
): ReactCall[][] {
  const round = planRounds(scenario);
  const byId = new Map(calls.map((c) => [c.step.id, c]));
  const rewritten = new Map<string, { args: Record<string, unknown>; deps: string[] }>();
  for (const call of calls.filter((c) => !c.usesModel)) {
    const args = { ...call.args };
    for (const [key, raw] of Object.entries(call.step.args)) {
      if (options.copyRows || typeof raw !== "string" || !isWholeReference(raw)) continue;
      const ref = findReferences(raw)[0];
      const source = ref && byId.get(ref.stepId);
      if (source?.step.tool !== "load_csv" || ref?.path.join(".") !== "rows") continue;
      delete args[key];
      args.path = source.args.path;
    }
    rewritten.set(call.step.id, { args, deps: expand(call.step.depends_on, byId) });
  }
  const turnOf = new Map<string, number>();
  const turn = (id: string): number => {
    const known = turnOf.get(id);
    if (known !== undefined) return known;
    const deps = rewritten.get(id)?.deps ?? [];
    const earlierRounds = [...rewritten.keys()].filter((o) => (round.get(o) ?? 0) < (round.get(id) ?? 0));
    const t = Math.max(-1, ...deps.map(turn), ...earlierRounds.map(turn)) + 1;
    turnOf.set(id, t);
    return t;
  };
  const turns: ReactCall[][] = [];
  for (const [id, call] of rewritten) {
    const t = turn(id);
    (turns[t] ??= []).push({ id: `call_${id}`, name: byId.get(id)!.step.tool, args: call.args });
  }
  return turns.filter(Boolean);
}

/** Dependencies with model steps replaced by their own dependencies (the ReAct model does them inline). */
function expand(deps: readonly string[], byId: Map<string, Call>): string[] {
  return [
    ...new Set(
      deps.flatMap((d) => {
        const call = byId.get(d);
        return call?.usesModel ? expand(call.step.depends_on, byId) : [d];
      }),
    ),
  ];
}

/** Which planner reply (0 = the first plan, 1 = the first recovery, …) each step id comes from. */
function planRounds(scenario: Scenario): Map<string, number> {
  const rounds = new Map<string, number>();
  (scenario.script.planner ?? []).forEach((reply, i) => {
    const steps = (reply as { structured?: { steps?: { id: string }[] } }).structured?.steps ?? [];
    for (const s of steps) rounds.set(s.id, i);
  });
  return rounds;
}

/** The ReAct baseline on `scenario`, replaying `run`'s tool calls and final answer. */
export function runReact(
  scenario: Scenario,
  run: AgentRun,
  options: { copyRows?: boolean } = {},
): Promise<{ requests: RequestTokens[]; turns: number }> {
  return withWorkspace(scenario, async (dirs) => {
    const turns = reactTurns(scenario, run.calls, options);
    const model = "react-baseline";
    const server = await startFakeOpenAI({
      models: [model],
      script: (req) => {
        const turn = req.messages.filter((m) => m.role === "assistant").length;
        const calls = turns[turn];
        return calls ? { toolCalls: calls } : run.finalAnswer;
      },
    });
    try {
      // No model tools: the ReAct model does the llm and summarize steps' work itself.
      const tools = scenarioTools({ ...dirs, latency: false })
        .filter((t) => !t.usesModel)
        .map((t) => asLangChainTool(t, scenario.goal));
      const agent = createReactAgent({
        llm: new ChatOpenAI({
          model,
          apiKey: "local",
          configuration: { baseURL: server.url },
          maxRetries: 0,
        }),
        tools,
      });
      const result = await agent.invoke({ messages: [new HumanMessage(scenario.goal)] });
      const last = result.messages.at(-1);
      if (last?.content !== run.finalAnswer)
        throw new Error(`${scenario.name}: ReAct did not end with the same answer`);
      return { requests: server.chatRequests.map(requestTokens), turns: turns.length };
    } finally {
      await server.close();
    }
  });
}

function asLangChainTool(planTool: PlanTool, goal: string) {
  return langChainTool(
    async (args: Record<string, unknown>) => {
      const ctx = {
        signal: new AbortController().signal,
        idempotencyKey: `react-${planTool.name}-${JSON.stringify(args).length}`,
        step: {
          id: "react",
          description: "",
          tool: planTool.name,
          args,
          depends_on: [],
          expected_output: "",
        },
        dependencies: [],
        goal,
        reportUsage: () => {},
      } as unknown as ToolContext;
      const output = await planTool.run(args, ctx);
      // The ReAct model reads each result as this agent's prompts show it (the tool's compact
      // rendering, uncut), so the comparison is of the two loops, not of two renderings.
      return stepOutputText(output, planTool, Number.POSITIVE_INFINITY);
    },
    { name: planTool.name, description: planTool.description, schema: planTool.schema as z.ZodObject },
  );
}

export interface TokenRow {
  scenario: string;
  react: { requests: number; input: number; output: number; turns: number };
  /** ReAct when it copies load_csv rows into its calls, as the plan's references resolve (see {@link reactTurns}). */
  reactRowsCopied: { requests: number; input: number; output: number };
  schema: { requests: number; input: number; output: number; plannerSystem: number; plannerTools: number };
  lean: { requests: number; input: number; output: number; plannerSystem: number; plannerTools: number };
  /**
   * This agent with the scenario's LLM critic and answer review off (`critic: "off"`), for scenarios
   * that turn them on: the same plan without the quality loops, which the ReAct loop does not have.
   */
  leanNoCritic: { requests: number; input: number; output: number } | null;
  /** Tools of the scenario's first plan that the lean planner prompt listed by name only. */
  nameOnly: string[];
  /** ReAct input tokens ÷ this agent's (lean prompt). */
  inputRatio: number;
  /** The same, with the tool list as JSON schemas (before the lean prompt). */
  inputRatioSchema: number;
}

const sum = (rs: RequestTokens[], key: "input" | "output") => rs.reduce((n, r) => n + r[key], 0);
const totals = (requests: RequestTokens[]) => ({
  requests: requests.length,
  input: sum(requests, "input"),
  output: sum(requests, "output"),
});

export async function measureTokens(
  options: { scenarios?: readonly Scenario[]; schema?: boolean } = {},
): Promise<TokenRow[]> {
  const rows: TokenRow[] = [];
  for (const scenario of options.scenarios ?? SCENARIOS) {
    const lean = await runPlanExecute(scenario, "lean");
    const schema = options.schema === false ? null : await runPlanExecute(scenario, "schema");
    const critic = (scenario.context as { critic?: string } | undefined)?.critic;
    const noCritic =
      critic && critic !== "off" ? await runPlanExecute(scenario, "lean", { critic: "off" }) : null;
    const react = await runReact(scenario, lean);
    // Only worth a run where ReAct would call differently (a plan that passes load_csv rows on).
    const differs =
      JSON.stringify(reactTurns(scenario, lean.calls)) !==
      JSON.stringify(reactTurns(scenario, lean.calls, { copyRows: true }));
    const copied = differs ? await runReact(scenario, lean, { copyRows: true }) : react;
    const agent = (run: AgentRun | null) =>
      run
        ? { ...totals(run.requests), plannerSystem: run.plannerSystem, plannerTools: run.plannerTools }
        : { requests: NaN, input: NaN, output: NaN, plannerSystem: NaN, plannerTools: NaN };
    const firstPlan = planRounds(scenario);
    const planTools = [
      ...new Set(lean.calls.filter((c) => firstPlan.get(c.step.id) === 0).map((c) => c.step.tool)),
    ];
    const row: TokenRow = {
      scenario: scenario.name,
      react: { ...totals(react.requests), turns: react.turns },
      reactRowsCopied: totals(copied.requests),
      schema: agent(schema),
      lean: agent(lean),
      leanNoCritic: noCritic ? totals(noCritic.requests) : null,
      nameOnly: planTools.filter((t) => !lean.plannerFull.includes(t)),
      inputRatio: 0,
      inputRatioSchema: 0,
    };
    row.inputRatio = row.react.input / row.lean.input;
    row.inputRatioSchema = row.react.input / row.schema.input;
    rows.push(row);
  }
  return rows;
}

export function printTokens(rows: TokenRow[]): void {
  console.log(
    "scenario  ReAct in/out (req)   schema prompt in/out (req)  lean prompt in/out (req)  ReAct÷lean  ReAct÷schema  critic off: in (req), ReAct÷  name-only plan tools",
  );
  const cell = (x: { input: number; output: number; requests: number }) =>
    `${x.input}/${x.output} (${x.requests})`.padEnd(20);
  for (const r of rows) {
    console.log(
      `${r.scenario.padEnd(9)} ${cell(r.react)} ${cell(r.schema)}        ${cell(r.lean)}  ${r.inputRatio.toFixed(2).padStart(8)}×  ${r.inputRatioSchema.toFixed(2).padStart(10)}×  ${(r.leanNoCritic ? `${r.leanNoCritic.input} (${r.leanNoCritic.requests}), ${(r.react.input / r.leanNoCritic.input).toFixed(2)}×` : "-").padEnd(22)}  ${r.nameOnly.join(", ") || "-"}`,
    );
  }
  const ratios = rows.map((r) => r.inputRatio);
  const missed = [
    Math.min(...ratios) < 3 ? "≥ 3× on every scenario" : "",
    median(ratios) < 5 ? "≥ 5× median" : "",
  ].filter(Boolean);
  console.log(
    `input tokens, ReAct ÷ this agent: min ${Math.min(...ratios).toFixed(2)}×, median ${median(ratios).toFixed(2)}× ` +
      `(targets ≥ 3× each, ≥ 5× median: ${missed.length ? `missed ${missed.join(" and ")}` : "met"})`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printTokens(await measureTokens());
}
