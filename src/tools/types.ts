import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { z } from "zod";
import type { PlanStep } from "../plan/schema.js";

/** How much harm a tool can do. A tool with no declared tier is treated as HIGH. */
import type { RiskTier } from "../core/risk.js";

export { RISK_TIERS, type RiskTier } from "../core/risk.js";

/** What a tool sees of the run while it executes one step. */
export interface ToolContext {
  /** Aborted when the step times out or the run is cancelled. Long work must honour it. */
  signal: AbortSignal;
  /** Stable across retries and resumes of one run: thread id + run id + step id. Side-effecting tools dedupe on it. */
  idempotencyKey: string;
  step: PlanStep;
  /** Outputs of the step's direct dependencies, in `depends_on` order. */
  dependencies: StepInput[];
  /** The executor's chat model, for tools that are LLM steps. */
  model: BaseChatModel;
  goal: string;
  /** Tools that call a model report each response here so the run can account for its tokens. */
  reportUsage(usage: TokenUsage): void;
  /**
   * Set when the step is being revised (reflection): its previous draft and the critic's feedback on
   * it. A tool that writes with a model should show both to the model and ask for a better draft.
   */
  revision?: StepRevision;
  /**
   * Set while the run gates on confidence (`minConfidence`): a tool that writes with a model asks
   * it how sure it is (see `CONFIDENCE_REQUEST`) and reports what it said, as given — the run
   * checks it. A step of a `usesModel` tool that reports nothing counts as low confidence.
   */
  confidence?: { report(raw: unknown): void };
  /**
   * Set by the executor for a step that may call tools itself (an `llm` step with an allowlist):
   * runs its model turns and tool calls durably, under the run's risk tiers. See `SubAgentHost`.
   */
  subAgent?: SubAgentHost;
}

/** One dependency's output, as a step that depends on it gets it. */
export interface StepInput {
  id: string;
  description: string;
  /** The output as the dependency's tool returned it. */
  output: unknown;
  /** The tool the dependency called, when known. */
  tool?: string;
  /**
   * The output as a model should read it (see `PlanTool.promptText`), not cut. Set by the executor;
   * a tool that puts its inputs into a prompt should use it rather than the output's JSON.
   */
  text?: string;
}

/** What a tool-calling sub-agent step gets from the run (provided by the executor). */
export interface SubAgentHost {
  /** Most model turns the loop may take (`maxSubAgentTurns`). */
  maxTurns: number;
  /** The tools the allowlist names that exist: for binding to the model. */
  describe(names: readonly string[]): { name: string; description: string; parameters: unknown }[];
  /** Runs one model turn as a durable task: a resume reads a finished turn back instead of asking again. */
  turn<T>(turn: number, ask: () => Promise<T>): Promise<T>;
  /**
   * One tool call the model asked for: refused outside the allowlist or with invalid args, stopped
   * for approval when its risk tier needs it, run as a durable task otherwise. Returns what the
   * model is told (the output, or why there is none).
   */
  call(turn: number, name: string, args: unknown): Promise<string>;
}

/** What a step revising its output is given: the draft the critic sent back and why. */
export interface StepRevision {
  /** 1 for the first revision, 2 for the second, … */
  revision: number;
  /** The draft being revised. */
  draft: unknown;
  /** The critic's feedback on that draft. */
  feedback: string;
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  /** The model that answered, for cost estimates. */
  model?: string;
}

/** A tool the planner can put in a step. */
export interface PlanTool<Args = Record<string, unknown>> {
  name: string;
  description: string;
  /** Validates the resolved args; every field should carry `.describe()` for the planner prompt. */
  schema: z.ZodType<Args>;
  risk: RiskTier;
  /** Overrides the run's per-step timeout for this tool. */
  timeoutMs?: number;
  /**
   * Always shown in full in the planner's prompt, however large the catalogue: general-purpose
   * steps (calculator, llm) that a goal seldom names in words a keyword ranking would find.
   */
  pinned?: boolean;
  /** True for tools whose work is done by a chat model (LLM steps); the `llm_steps` critic checks these. */
  usesModel?: boolean;
  /**
   * Steps of this tool reflect by default while the critic is on: the critic scores each draft and
   * the step revises it with the feedback (`ToolContext.revision`), up to `maxRevisions` times. Only
   * tools that `usesModel` can revise; the planner can also ask for it per step (`reflect`).
   */
  reflect?: boolean;
  /**
   * Problems with a step's (schema-valid) args that need to know the other tools, e.g. an allowlist
   * naming tools that are not registered; checked at plan validation like the args themselves.
   */
  planIssues?(args: Args, toolNames: string[]): string[];
  /**
   * The output as a model reads it, when plain JSON would waste its tokens (e.g. search results one
   * line each, without ids and scores; a table as CSV). Every prompt that carries a step's output —
   * an `llm` step's inputs, the critics', the synthesizer's, the answer review's, the replanner's —
   * shows this; state, references and reports keep the output itself.
   */
  promptText?(output: unknown): string;
  /** Tool-specific emptiness (e.g. a search with no hits); an empty output fails the step. */
  isEmptyOutput?(output: unknown): boolean;
  run(args: Args, ctx: ToolContext): Promise<unknown>;
}

/** Thrown by a tool for a failure that may pass on a later attempt (rate limit, network blip). */
export class TransientToolError extends Error {
  override name = "TransientToolError";
}

/** Thrown by a tool when its input cannot work; retrying would not help. */
export class ToolInputError extends Error {
  override name = "ToolInputError";
}
