import { withLangGraph, type ReducedZodChannel, type UpdateType } from "@langchain/langgraph/zod";
import type { InteropZodType } from "@langchain/core/utils/types";
import { z } from "zod";
import { MODEL_ROLES, type ModelRole } from "./roles.js";
import { getById, idRecord } from "../plan/ids.js";
import { BUDGET_KEYS } from "./settings.js";
import { ConfidenceSchema } from "./confidence.js";
import { SearchTreeSchema } from "../plan/search.js";
import { PlanStepSchema } from "../plan/schema.js";

export const STEP_STATUSES = ["pending", "running", "succeeded", "failed", "skipped", "rejected"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export { PlanStepSchema };

export const EvaluationSchema = z.object({
  ok: z.boolean(),
  reason: z.string(),
  by: z.enum(["checks", "critic"]),
});

export const ApprovalSchema = z.object({
  status: z.enum(["waiting", "approved", "edited", "rejected"]),
  /** The fully resolved args shown to the person (and, after an edit, the args the tool gets). */
  args: z.record(z.string(), z.unknown()),
  risk: z.enum(["LOW", "MEDIUM", "HIGH"]),
  reason: z.string().nullable(),
  decidedAt: z.number().nullable(),
  /**
   * Fingerprint of the tool and the resolved args the person was shown. The step runs on this
   * decision only while its args still resolve to the same digest; otherwise it asks again.
   */
  digest: z.string(),
});
export type Approval = z.output<typeof ApprovalSchema>;

export const AuditEntrySchema = z.object({
  at: z.number(),
  stepId: z.string(),
  tool: z.string(),
  risk: z.enum(["LOW", "MEDIUM", "HIGH"]),
  args: z.record(z.string(), z.unknown()),
  /** ran: ran without asking (within autoApprove); the others: what a person decided. */
  decision: z.enum(["ran", "approved", "edited", "rejected"]),
  reason: z.string().nullable(),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

export const UsageSchema = z.object({
  input_tokens: z.number(),
  output_tokens: z.number(),
  total_tokens: z.number(),
  calls: z.number(),
  /** The model that answered last for this role (for cost estimates). */
  model: z.string().optional(),
});
export type RoleUsage = z.output<typeof UsageSchema>;
export type UsageByRole = Partial<Record<ModelRole, RoleUsage>>;

/** One attempt of a step: when it ran and how it ended (a retry is a new attempt). */
export const AttemptSchema = z.object({
  attempt: z.number().int(),
  startedAt: z.number(),
  finishedAt: z.number(),
  error: z.string().nullable(),
});
export type AttemptLogEntry = z.output<typeof AttemptSchema>;

/** One draft of a reflecting step and the critic's verdict on it. */
export const DraftSchema = z.object({
  /** 0: the step's first output; 1, 2, …: revisions written with the critic's feedback. */
  revision: z.number().int(),
  output: z.unknown().optional(),
  /** The critic's score, 0–1; null when the draft got no readable verdict (or its revision failed). */
  score: z.number().nullable(),
  pass: z.boolean().nullable(),
  /** The critic's reason: why it passes, or what to change. */
  feedback: z.string().nullable(),
  /** Anything said about this draft: a score treated as 0, an unreadable verdict, a failed revision. */
  note: z.string().nullable(),
  /** What the step reported of its own confidence in this draft (only while `minConfidence` is set). */
  stepConfidence: ConfidenceSchema.nullable().optional(),
  /** The critic's confidence in its verdict on this draft (only while `minConfidence` is set). */
  criticConfidence: ConfidenceSchema.nullable().optional(),
});
export type Draft = z.output<typeof DraftSchema>;

/** How a step's reflection loop went: its drafts, which one it kept, and why the loop ended. */
export const ReflectionSchema = z.object({
  drafts: z.array(DraftSchema),
  /** The revision number of the draft that became the step's output. */
  kept: z.number().int(),
  /** The critic approved the kept draft. */
  approved: z.boolean(),
  stopped: z.enum(["approved", "limit", "unreadable", "revision_failed", "budget"]),
  /** One sentence for people: what was kept and why. */
  summary: z.string(),
});
export type Reflection = z.output<typeof ReflectionSchema>;

/**
 * A step whose confidence was below `minConfidence`: it stopped for a person, who approves its
 * output, edits it, or rejects it (the replanner takes over).
 */
export const ConfidenceGateSchema = z.object({
  status: z.enum(["waiting", "approved", "edited", "rejected"]),
  /** The lowest of the confidences reported (the step's own, the critic's). */
  confidence: z.number(),
  threshold: z.number(),
  /** Why it stopped: each low confidence, and each one that was missing or out of range. */
  reasons: z.array(z.string()),
  /** What the person said when rejecting. */
  reason: z.string().nullable(),
  decidedAt: z.number().nullable(),
});
export type ConfidenceGate = z.output<typeof ConfidenceGateSchema>;

/** One tool call of an LLM step that runs as a tool-calling sub-agent (its allowlist in `args.tools`). */
export const SubAgentCallSchema = z.object({
  /** The model turn that asked for it (1, 2, …) and the call's number within the step (1, 2, …). */
  turn: z.number().int(),
  call: z.number().int(),
  tool: z.string(),
  args: z.unknown(),
  risk: z.enum(["LOW", "MEDIUM", "HIGH"]),
  /** ran: within autoApprove; approved/edited/rejected: a person decided; refused: outside the allowlist or bad args. */
  decision: z.enum(["ran", "approved", "edited", "rejected", "refused"]),
  ok: z.boolean(),
  /** The output as the model was shown it (clipped), or null. */
  output: z.string().nullable(),
  error: z.string().nullable(),
  at: z.number(),
});
export type SubAgentCall = z.output<typeof SubAgentCallSchema>;

const stepRecordFields = {
  id: z.string(),
  status: z.enum(STEP_STATUSES),
  output: z.unknown().optional(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  evaluation: EvaluationSchema.nullable(),
  approval: ApprovalSchema.nullable().optional(),
  /** Each attempt's timing (absent in threads written before it was recorded). */
  attemptLog: z.array(AttemptSchema).optional(),
  /** Tokens the step's own model calls used (LLM steps), when it made any. */
  usage: UsageSchema.nullable().optional(),
  /** The step's reflection loop (drafts, verdicts, the kept draft), when it had one. */
  reflection: ReflectionSchema.nullable().optional(),
  /** The confidence the step reported in its output (LLM steps while `minConfidence` is set). */
  stepConfidence: ConfidenceSchema.nullable().optional(),
  /** The confidence the critic reported in its verdict (while `minConfidence` is set). */
  criticConfidence: ConfidenceSchema.nullable().optional(),
  /** The tool calls of a sub-agent step, in order (absent for other steps). */
  subAgentCalls: z.array(SubAgentCallSchema).optional(),
  /** The stop for a person when a confidence was below `minConfidence`. */
  confidenceGate: ConfidenceGateSchema.nullable().optional(),
};

export const StepRecordSchema = z.object(stepRecordFields);

/** A partial record: only the fields a node changes. (No defaults here, or they would overwrite.) */
export const StepPatchSchema = z.object(stepRecordFields).partial().extend({ id: z.string() });

const EMPTY_RECORD = {
  status: "pending",
  error: null,
  attempts: 0,
  startedAt: null,
  finishedAt: null,
  evaluation: null,
} as const;

export type StepRecord = z.output<typeof StepRecordSchema>;
export type Evaluation = z.output<typeof EvaluationSchema>;

/**
 * Records are merged field by field, so the executor and the evaluator can each write their part.
 * The result has no prototype, so no step id reads or replaces an inherited property; it comes back
 * from a checkpoint as a plain object, which is why records are read with {@link stepRecordOf}.
 */
export function mergeStepRecords(
  current: Record<string, StepRecord>,
  update: Record<string, Partial<StepRecord> & { id: string }>,
): Record<string, StepRecord> {
  const next = idRecord(Object.entries(current));
  for (const [id, patch] of Object.entries(update)) {
    next[id] = { ...EMPTY_RECORD, ...getById(current, id), ...patch };
  }
  return next;
}

/** {@link mergeStepRecords} over a batch of patches, in order (the form a `DeltaChannel` reducer takes). */
export function mergeStepPatches(
  current: Record<string, StepRecord>,
  patches: Record<string, Partial<StepRecord> & { id: string }>[],
): Record<string, StepRecord> {
  return patches.reduce(mergeStepRecords, current);
}

/** The record of step `id` (never an inherited property of the map, whatever the id). */
export function stepRecordOf(
  steps: Readonly<Record<string, StepRecord>>,
  id: string,
): StepRecord | undefined {
  return getById(steps, id);
}

export function addUsage(current: UsageByRole, update: UsageByRole): UsageByRole {
  const next: UsageByRole = { ...current };
  for (const role of MODEL_ROLES) {
    const add = update[role];
    if (!add) continue;
    const base = next[role] ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0, calls: 0 };
    next[role] = {
      input_tokens: base.input_tokens + add.input_tokens,
      output_tokens: base.output_tokens + add.output_tokens,
      total_tokens: base.total_tokens + add.total_tokens,
      calls: base.calls + add.calls,
      model: add.model ?? base.model,
    };
  }
  return next;
}

const StepsMap = z.record(z.string(), StepRecordSchema);
const StepPatches = z.record(z.string(), StepPatchSchema);
const UsageMap = z.partialRecord(z.enum(MODEL_ROLES), UsageSchema);

/**
 * A last-value channel whose initial value is `initial` (LangGraph's registry reads channel defaults
 * from its own metadata, not from zod's `.default()`).
 */
function withInitial<T extends z.ZodType>(schema: T, initial: () => z.output<T>): T {
  return withLangGraph(schema as InteropZodType, { default: initial }) as T;
}

/** A channel that parallel writers update through `reduce`; an update is validated against `update`. */
function reduced<T extends z.ZodType, U extends z.ZodType>(
  schema: T,
  update: U,
  reduce: (current: z.output<T>, update: z.output<U>) => z.output<T>,
  initial: () => z.output<T>,
): ReducedZodChannel<T, U> {
  return withLangGraph(schema as InteropZodType, {
    reducer: { schema: update as InteropZodType, fn: reduce },
    default: initial,
  }) as unknown as ReducedZodChannel<T, U>;
}

/** The review of one final answer against the goal and the steps. */
export const AnswerReviewSchema = z.object({
  /** 1: the first answer; 2: the answer written after one round of review, … */
  round: z.number().int(),
  passed: z.boolean(),
  /** Every problem found, deterministic ones first. Empty when it passed. */
  findings: z.array(z.string()),
  /** Who reviewed it: the deterministic checks always, the model reviewer while the critic is on. */
  by: z.array(z.enum(["checks", "reviewer"])),
  /** Why a reviewer or a further round was skipped (e.g. an unreadable verdict, no rounds left). */
  notes: z.array(z.string()),
  /** A round of new steps and a new answer follows. */
  revise: z.boolean(),
});
export type AnswerReview = z.output<typeof AnswerReviewSchema>;

/**
 * One judgement of the remaining plan after steps succeeded (`replan: "on_signal"`): whether it
 * still fits what was learned, and why.
 */
export const PlanCheckSchema = z.object({
  at: z.number(),
  /** The steps whose outputs were judged (those that succeeded in the evaluator pass). */
  after: z.array(z.string()),
  /** The plan version that was judged. */
  planVersion: z.number().int(),
  /** fits: keep going; replan: the unfinished steps are rewritten; unreadable: kept as is (see note). */
  verdict: z.enum(["fits", "replan", "unreadable"]),
  reason: z.string(),
  note: z.string().nullable(),
});
export type PlanCheck = z.output<typeof PlanCheckSchema>;

/**
 * The one state channel set shared by every node.
 *
 * Plain zod with LangGraph's schema registry rather than `StateSchema`: the LangGraph server (and so
 * LangGraph Studio) reads a graph's context schema only from zod-defined graphs; for `StateSchema`
 * graphs it shows no configuration panel.
 */
export const PlanExecuteState = z.object({
  goal: z.string().describe("What the agent should achieve."),
  runId: withInitial(
    z
      .string()
      .nullable()
      .describe("Set when a run starts: each new goal on a thread is a new run with a clean state."),
    () => null,
  ),
  settings: withInitial(
    z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        "The settings this run resolved when it started (agent defaults, input, context); a resume uses them.",
      ),
    () => null,
  ),
  plan: withInitial(
    z.array(PlanStepSchema).describe("The current plan: finished steps and those to run."),
    () => [],
  ),
  steps: reduced(
    StepsMap.describe("Each step's status, output, error, attempts and evaluation, by step id."),
    StepPatches,
    mergeStepRecords,
    () => idRecord<StepRecord>(),
  ),
  planVersion: withInitial(
    z.number().int().describe("1 for the first valid plan, +1 per recovery plan."),
    () => 0,
  ),
  planAttempts: withInitial(
    z.number().int().describe("Planner calls in the current planning round."),
    () => 0,
  ),
  rejectedPlan: withInitial(
    z
      .array(PlanStepSchema)
      .describe("The last proposal that failed validation, shown to the model with the problems."),
    () => [],
  ),
  earlySteps: withInitial(
    z
      .array(PlanStepSchema)
      .describe(
        "Steps the streaming planner started before a plan that was then refused: their records are kept, and a repaired plan may use them.",
      ),
    () => [],
  ),
  validationErrors: withInitial(
    z.array(z.string()).describe("Why the last proposed plan was refused."),
    () => [],
  ),
  replans: withInitial(z.number().int().describe("Recovery plans written so far."), () => 0),
  planChecks: reduced(
    z
      .array(PlanCheckSchema)
      .describe("Judgements of the remaining plan after steps succeeded (replan: on_signal), in order."),
    z.array(PlanCheckSchema),
    (a, b) => [...a, ...b],
    () => [],
  ),
  replanSignal: withInitial(
    PlanCheckSchema.nullable().describe(
      "A judgement that the remaining plan no longer fits, waiting for the replanner (null once it acted).",
    ),
    () => null,
  ),
  usage: reduced(UsageMap.describe("Token usage per model role."), UsageMap, addUsage, () => ({})),
  forkedFrom: withInitial(
    z
      .object({ threadId: z.string(), checkpointId: z.string() })
      .nullable()
      .describe("The thread and checkpoint this thread was forked from, if it was."),
    () => null,
  ),
  runSettings: withInitial(
    z
      .record(z.string(), z.unknown())
      .nullable()
      .describe("Settings given with the input; moved into `settings` when the run starts."),
    () => null,
  ),
  budgetRaises: withInitial(
    z
      .partialRecord(z.enum(BUDGET_KEYS), z.number())
      .describe("Budget limits a person raised at a budget stop."),
    () => ({}),
  ),
  planReview: withInitial(
    z
      .object({ version: z.number().int(), decision: z.enum(["approved", "edited", "picked", "rejected"]) })
      .nullable()
      .describe(
        "The plan version a person decided on, when plan approval is on (rejected: a recovery plan a person turned down).",
      ),
    () => null,
  ),
  planFeedback: withInitial(
    z.string().nullable().describe("Why a person rejected the last plan."),
    () => null,
  ),
  audit: reduced(
    z.array(AuditEntrySchema).describe("MEDIUM and HIGH steps that ran, and what people decided."),
    z.array(AuditEntrySchema),
    (a, b) => [...a, ...b],
    () => [],
  ),
  activeMs: reduced(
    z.number().describe("Time spent working, in ms (waiting for a person does not count)."),
    z.number(),
    (a, b) => a + b,
    () => 0,
  ),
  finishRequested: withInitial(
    z.boolean().describe("A person chose to finish now at a budget stop."),
    () => false,
  ),
  finalAnswer: withInitial(z.string().nullable().describe("The answer, once written."), () => null),
  answerReview: withInitial(
    AnswerReviewSchema.nullable().describe(
      "The review of the latest answer: whether it passed, and what was found (null when the review is off).",
    ),
    () => null,
  ),
  answerRevisions: withInitial(
    z.number().int().describe("Rounds of new steps a failed answer review started (maxAnswerRevisions)."),
    () => 0,
  ),
  planSearch: withInitial(
    SearchTreeSchema.nullable().describe(
      "The plan search tree (planSearch.candidates > 1): candidate and recovery plans with their scores, visits, values and which one runs; null without a search.",
    ),
    () => null,
  ),
  error: withInitial(
    z.string().nullable().describe("Why the run ended without an answer, if it did."),
    () => null,
  ),
});

export const PlanExecuteInput = z.object({
  goal: z.string().min(1).describe("What the agent should achieve, in plain language."),
  forkedFrom: z
    .object({ threadId: z.string(), checkpointId: z.string() })
    .nullable()
    .optional()
    .describe("Set by a fork of another thread's first checkpoint."),
  runSettings: z
    .record(z.string(), z.unknown())
    .nullable()
    .optional()
    .describe(
      "Settings saved with the run's first checkpoint, so that a resume after a crash uses them too.",
    ),
});

export type PlanExecuteStateType = z.output<typeof PlanExecuteState>;
export type PlanExecuteUpdate = UpdateType<typeof PlanExecuteState>;
