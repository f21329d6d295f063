import { z } from "zod";
import { zodIssueLines } from "../plan/zod-issues.js";

/**
 * Run-time settings of the graph: what LangGraph Studio shows in its configuration panel and
 * what `invoke(input, { context })` accepts. Every field has a default, so `{}` is valid.
 */
export const PlanExecuteContextSchema = z.object({
  plannerModel: z
    .string()
    .nullable()
    .default(null)
    .describe("Chat model for the planner and replanner (e.g. gpt-4o-mini)."),
  executorModel: z.string().nullable().default(null).describe("Chat model for LLM steps."),
  evaluatorModel: z.string().nullable().default(null).describe("Chat model for the step critic."),
  synthesizerModel: z.string().nullable().default(null).describe("Chat model that writes the final answer."),
  maxSteps: z.number().int().min(1).max(100).default(12).describe("Largest plan the planner may write."),
  maxPlanAttempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe("How often an invalid plan is sent back to the planner before the run gives up."),
  maxReplans: z.number().int().min(0).max(10).default(2).describe("Recovery plans allowed per run."),
  replan: z
    .enum(["on_failure", "on_signal"])
    .default("on_failure")
    .describe(
      "When the replanner rewrites the plan. on_failure: when a step fails or is rejected. on_signal: also when, " +
        "after steps succeed, the evaluator model judges that the remaining steps no longer fit what was learned " +
        "(it gives the reason); the replanner then rewrites only the unfinished steps. Steps wait for that " +
        "judgement before their dependents start. Both count against maxReplans.",
    ),
  maxConcurrency: z.number().int().min(1).max(64).default(4).describe("Steps that may run at the same time."),
  stepTimeoutMs: z.number().int().min(1).default(60_000).describe("Time limit of one attempt of one step."),
  maxRetries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(2)
    .describe("Retries of a step after a transient error."),
  maxStepCrashes: z
    .number()
    .int()
    .min(1)
    .max(100)
    .default(2)
    .describe(
      "A step whose attempts started but never finished this many times (the process died each time) fails instead of running again.",
    ),
  maxOutputBytes: z
    .number()
    .int()
    .min(1)
    .default(262_144)
    .describe(
      "Largest output (serialised, in bytes) one step may add to the run's state; a larger one fails the step.",
    ),
  promptOutputChars: z
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(2_000)
    .describe(
      "Most characters of one step's output a critic, the synthesizer, the answer review or the replanner is shown, " +
        "in the tool's compact rendering (search results one line each, a table as CSV); an llm step gets its " +
        "inputs whole.",
    ),
  usedOutputChars: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .default(400)
    .describe(
      "The same for the output of a step that a later, successful, read-only step computed from (rows a group_by " +
        "aggregated, search results an llm step extracted from): the synthesizer, the answer review and the " +
        "replanner are shown this much of it and told which steps used it, whose outputs carry what was taken. " +
        "An output a step with effects wrote or sent elsewhere stays whole.",
    ),
  retryBaseDelayMs: z.number().int().min(0).default(250).describe("First retry delay; doubles each retry."),
  retryMaxDelayMs: z.number().int().min(0).default(5_000).describe("Upper bound of one retry delay."),
  critic: z
    .enum(["off", "llm_steps", "all"])
    .default("off")
    .describe(
      "Which finished steps the LLM critic checks against their expected_output. When it is on, steps of tools that " +
        "write with a model (llm, summarize) and steps the planner marks `reflect` are revised with the critic's " +
        "feedback (see maxRevisions), and the final answer is also reviewed by a model (see maxAnswerRevisions).",
    ),
  maxRevisions: z
    .number()
    .int()
    .min(0)
    .max(5)
    .default(2)
    .describe(
      "Reflection: how many times a quality-critical step may revise its output with the critic's feedback " +
        "(generate, critic, revise, critic again …) while the critic is on. An approving verdict ends it early; at " +
        "the limit the step keeps its best-scored draft and says so. 0: no revisions (the critic only passes or fails).",
    ),
  maxAnswerRevisions: z
    .number()
    .int()
    .min(0)
    .max(3)
    .default(1)
    .describe(
      "Answer review: after the answer is written it is checked against the steps (every cited step succeeded, " +
        "every number comes from a step) and, while the critic is on, by a model (complete? supported?). While " +
        "the critic is on, a failed review sends its findings to the replanner for a round of new steps and a new " +
        "answer, at most this many times; with it off the checks only report. 0 turns the review off.",
    ),
  minConfidence: z
    .number()
    .min(0)
    .max(1)
    .nullable()
    .default(null)
    .describe(
      "Confidence gating: LLM steps (llm, summarize) and the critic report a confidence 0–1 in what they wrote; a " +
        "step whose lowest confidence is below this stops for a person, who approves its output, edits it, or " +
        "rejects it (the replanner takes over). A missing or out-of-range confidence counts as low and says so. " +
        "null: off (nothing is asked for).",
    ),
  maxSubAgentTurns: z
    .number()
    .int()
    .min(1)
    .max(20)
    .default(6)
    .describe(
      "Sub-agent steps: an llm step given a tool allowlist (args.tools) runs as a tool-calling loop on the executor " +
        "model, at most this many model turns; a model still calling tools then fails the step, saying so.",
    ),
  planSearch: z
    .object({
      candidates: z
        .number()
        .int()
        .min(1)
        .max(5)
        .default(1)
        .describe("Candidate plans the planner proposes; 1 is a single plan with no search (the default)."),
      selection: z
        .enum(["uct", "best_first"])
        .default("uct")
        .describe(
          "What runs after a plan fails: uct (value plus an exploration bonus for plans tried less) or " +
            "best_first (the highest value on the frontier).",
        ),
      maxNodes: z
        .number()
        .int()
        .min(1)
        .max(50)
        .default(8)
        .describe("Node cap: plans (candidates and recovery plans) the search tree may hold."),
      exploration: z.number().min(0).max(10).default(1).describe("UCT's exploration constant."),
      judge: z
        .boolean()
        .default(true)
        .describe(
          "Score candidates with a value judge on the evaluator model; false: the deterministic features decide.",
        ),
    })
    .prefault({})
    .describe(
      "Plan search (LATS-style): with candidates > 1 the planner proposes that many distinct plans, a value judge " +
        "scores them with deterministic features, the best runs, and when a plan fails the search falls back to a " +
        "sibling candidate (reusing finished steps) or a recovery plan, bounded by maxReplans, the budgets and maxNodes.",
    ),
  approvePlan: z
    .enum(["never", "always", "risky"])
    .default("never")
    .describe("Stop for a person to approve the plan: never, always, or when it has MEDIUM or HIGH steps."),
  planStreaming: z
    .boolean()
    .default(true)
    .describe(
      "Streaming planner: with a model that streams, a LOW step that is complete and valid on its own (its " +
        "dependencies too) starts while the rest of the plan is still being written. MEDIUM and HIGH steps " +
        "wait for the whole validated plan. The replanner's recovery plans stream the same way (not under plan " +
        "search). No step starts early while approvePlan is not never.",
    ),
  autoApprove: z
    .enum(["LOW", "MEDIUM", "HIGH"])
    .default("MEDIUM")
    .describe("Highest risk tier that runs without a person's approval (HIGH: nothing waits)."),
  maxTokens: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe("Budget: total tokens of all models."),
  maxCostUsd: z.number().positive().nullable().default(null).describe("Budget: estimated model cost in USD."),
  maxStepsExecuted: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe("Budget: steps run in total."),
  maxWallMs: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe("Budget: time spent working, in ms (time waiting for a person does not count)."),
  demoScenario: z
    .string()
    .nullable()
    .default(null)
    .describe(
      "The bundled offline scenario this run plays (set by `plan-execute demo`); null for real runs.",
    ),
  prices: z
    .record(z.string(), z.object({ inputPerMTok: z.number().min(0), outputPerMTok: z.number().min(0) }))
    .default(() => ({}))
    .describe("USD per million tokens by model name; adds to or overrides the built-in price list."),
});

export const BUDGET_KEYS = ["maxTokens", "maxCostUsd", "maxStepsExecuted", "maxWallMs"] as const;
export type BudgetKey = (typeof BUDGET_KEYS)[number];

export type PlanExecuteContext = z.input<typeof PlanExecuteContextSchema>;
export type Settings = z.output<typeof PlanExecuteContextSchema>;

/** Settings a policy decides: when a person is asked, and whether the critic runs. */
export const POLICY_KEYS = ["approvePlan", "autoApprove", "critic", "replan", "minConfidence"] as const;
export type PolicyKey = (typeof POLICY_KEYS)[number];

/** Settings that bound a run: plan size, retries, concurrency, timeouts and the budgets. */
export const LIMIT_KEYS = [
  "maxSteps",
  "maxPlanAttempts",
  "maxReplans",
  "maxConcurrency",
  "stepTimeoutMs",
  "maxRetries",
  "maxStepCrashes",
  "maxOutputBytes",
  "maxRevisions",
  "maxAnswerRevisions",
  "maxSubAgentTurns",
  ...BUDGET_KEYS,
] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Layers partial settings: each layer overrides the ones before it key by key, and inside nested
 * settings (`planSearch`, `prices`) key by key too, so `{ planSearch: { candidates: 3 } }` over an
 * agent default of `{ planSearch: { maxNodes: 5 } }` keeps both. A key whose value is `undefined`
 * overrides nothing (`null` does: it switches a budget off).
 */
export function layerSettings(
  ...layers: (Record<string, unknown> | null | undefined)[]
): Record<string, unknown> {
  // No prototype: a "__proto__" key from parsed JSON stays an (unknown, ignored) key.
  const merged = Object.create(null) as Record<string, unknown>;
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (value === undefined) continue;
      const before = merged[key];
      merged[key] = isPlainObject(before) && isPlainObject(value) ? layerSettings(before, value) : value;
    }
  }
  return merged;
}

/**
 * The settings of a run. When it starts, the agent's `defaults`, the settings given with the input
 * and the context of that invocation are resolved once and kept in state (`settings`), so a
 * resume in another process, or by an agent with other defaults, runs on the settings it started
 * with. On top: the context of this invocation, then budget limits a person raised at a budget stop.
 */
export function runSettings(
  state: {
    settings?: Record<string, unknown> | null;
    runSettings?: Record<string, unknown> | null;
    budgetRaises?: Partial<Record<BudgetKey, number>>;
  },
  context: unknown,
  defaults?: PlanExecuteContext,
): Settings {
  const merged = layerSettings(
    defaults as Record<string, unknown> | undefined,
    state.settings ?? state.runSettings,
    context as Record<string, unknown> | undefined,
  );
  return { ...resolveSettings(merged), ...(state.budgetRaises ?? {}) };
}

/** The settings a new run starts with: the agent's defaults < the input's settings < the invocation's context. */
export function startSettings(
  inputSettings: Record<string, unknown> | null | undefined,
  context: unknown,
  defaults?: PlanExecuteContext,
): Settings {
  return resolveSettings(
    layerSettings(
      defaults as Record<string, unknown> | undefined,
      inputSettings,
      context as Record<string, unknown> | undefined,
    ),
  );
}

/** Fills defaults; throws a readable error for an invalid setting. */
export function resolveSettings(context: unknown): Settings {
  const result = PlanExecuteContextSchema.safeParse(context ?? {});
  if (result.success) return result.data;
  const problems = zodIssueLines(result.error.issues, "(context)");
  throw new Error(`Invalid plan-execute settings: ${problems.join("; ")}`);
}
