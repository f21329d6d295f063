import type { BudgetKey } from "../core/settings.js";
import type { AuditEntry, Evaluation, StepStatus } from "../core/state.js";
import type { ModelRole } from "../core/roles.js";
import type { ThreadStatus } from "../agent/threads.js";

/**
 * A run report: plain data (JSON-serialisable) built from a thread's checkpointed state and
 * history by `buildRunReport`, rendered by `renderReportHtml` and `renderTimelineSvg`. All times
 * are epoch milliseconds.
 */
export interface RunReport {
  format: 1;
  threadId: string;
  /** The run the report describes: the thread's latest run (a new goal on a thread is a new run). */
  runId: string | null;
  goal: string;
  status: ThreadStatus;
  generatedAt: number;
  /** When the run started (its input checkpoint) and its last checkpoint or step end. */
  startedAt: number | null;
  endedAt: number | null;
  /** Time spent working (waiting for a person does not count), as the run measured it. */
  activeMs: number;
  forkedFrom: { threadId: string; checkpointId: string } | null;
  /** Checkpoints of this run read from the history. */
  checkpoints: number;
  /** Why there is no plan, when there is none (the planner failed, or the run has not planned yet). */
  noPlan: string | null;
  /** Problems of the last refused plan proposal, if any. */
  validationErrors: string[];
  planVersions: ReportPlanVersion[];
  /** Every step of every plan version, in order of first appearance. */
  steps: ReportStep[];
  /** Time spent waiting for a person: step and plan approvals, budget stops. */
  waits: ReportWait[];
  /** Point events: replans, approval decisions, budget stops, critic verdicts, the answer. */
  markers: ReportMarker[];
  /** What the agent was doing between checkpoints (planner, executor, evaluator, …). */
  phases: ReportPhase[];
  usage: ReportUsage;
  audit: AuditEntry[];
  answer: { text: string | null; citations: string[] };
  error: string | null;
  /** The plan search's tree (`planSearch.candidates` > 1), null without a search. */
  search: ReportSearch | null;
  /** Stops that wait for a person now. */
  pending: { type: "plan_approval" | "step_approval" | "low_confidence" | "budget"; summary: string }[];
}

export type ReportStepStatus = StepStatus | "waiting";

export interface ReportAttempt {
  attempt: number;
  startedAt: number;
  finishedAt: number;
  error: string | null;
  /** Derived from the step's start and end: the thread was written before attempts were timed. */
  approximate: boolean;
}

export interface ReportStep {
  id: string;
  description: string;
  tool: string;
  args: Record<string, unknown>;
  dependsOn: string[];
  expectedOutput: string;
  /** The record's status; `waiting` = pending and waiting for a person's approval. */
  status: ReportStepStatus;
  error: string | null;
  /** The output as text (JSON for objects), cut at {@link OUTPUT_PREVIEW_CHARS}. */
  output: string | null;
  outputTruncated: boolean;
  attempts: number;
  startedAt: number | null;
  finishedAt: number | null;
  attemptLog: ReportAttempt[];
  evaluation: Evaluation | null;
  approval: {
    status: "waiting" | "approved" | "edited" | "rejected";
    risk: "LOW" | "MEDIUM" | "HIGH";
    reason: string | null;
    requestedAt: number | null;
    decidedAt: number | null;
    args: Record<string, unknown>;
  } | null;
  /** Plan versions that contain this step. */
  versions: number[];
  /** The first version without it, when a later plan dropped or replaced it. */
  droppedIn: number | null;
  /** Column of the dependency graph: 0 for a step with no dependency, else 1 + its deepest dependency. */
  depth: number;
  usage: ReportTokens | null;
  /** Cited by the final answer. */
  cited: boolean;
}

export interface ReportPlanVersion {
  version: number;
  /** The checkpoint where this version first appears. */
  at: number | null;
  cause: "initial" | "replan" | "edited" | "new_plan";
  /** The replan number, for `cause: "replan"`. */
  replan: number | null;
  steps: string[];
  /** Steps of the previous version that failed or were rejected before this one. */
  failed: string[];
  kept: string[];
  added: string[];
  dropped: string[];
}

export interface ReportWait {
  kind: "step_approval" | "plan_approval" | "low_confidence" | "budget";
  stepId: string | null;
  from: number;
  /** null: still waiting. */
  to: number | null;
  /** What the person decided: approved, edited, rejected, raise …, finish. */
  outcome: string | null;
  label: string;
}

export interface ReportMarker {
  kind: "replan" | "plan" | "approval" | "budget" | "critic" | "answer" | "failure";
  at: number;
  stepId: string | null;
  /** For verdicts and decisions: passed / approved (true) or failed / rejected (false). */
  ok: boolean | null;
  label: string;
  detail: string;
}

export interface ReportPhase {
  node: string;
  from: number;
  to: number;
}

export interface ReportTokens {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  calls: number;
  model: string | null;
  /** Estimated USD (src/execution/budget.ts prices); null when the model has no price. */
  usd: number | null;
}

export interface ReportUsage {
  roles: (ReportTokens & { role: ModelRole })[];
  total: ReportTokens & { unpriced: string[] };
}

export type BudgetExceeded = { key: BudgetKey; limit: number; used: number };

/** Largest output text kept per step in a report. */
export const OUTPUT_PREVIEW_CHARS = 4000;

/** A plan search as the report shows it: every node of the tree, parents before children. */
export interface ReportSearch {
  selection: string;
  /** Why the search ended, or null while it goes on. */
  ended: string | null;
  nodes: ReportSearchNode[];
}

export interface ReportSearchNode {
  id: string;
  parent: string | null;
  kind: "root" | "candidate" | "recovery";
  depth: number;
  status: string;
  /** The plan running now. */
  current: boolean;
  visits: number;
  /** Mean reward of the runs below it; null before any. */
  value: number | null;
  /** The value it started with (judge and features combined). */
  prior: number;
  judge: number | null;
  judgeReason: string | null;
  features: number | null;
  /** The tools of its plan, in order. */
  tools: string[];
  planVersion: number | null;
  note: string | null;
}
