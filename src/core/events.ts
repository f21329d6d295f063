import type { PlanStep } from "../plan/schema.js";

/**
 * Progress events, sent through LangGraph's `custom` stream mode so that the CLI, Studio and
 * embedding apps all see the same live view. `at` is epoch milliseconds.
 */
export type ProgressEvent =
  | { type: "plan_created"; at: number; version: number; steps: PlanStep[]; replan: boolean }
  | { type: "plan_invalid"; at: number; attempt: number; issues: string[]; replan: boolean }
  | { type: "step_started"; at: number; stepId: string; tool: string; attempt: number }
  | { type: "step_retry"; at: number; stepId: string; attempt: number; delayMs: number; error: string }
  | { type: "step_finished"; at: number; stepId: string; tool: string; durationMs: number; attempts: number }
  | { type: "step_failed"; at: number; stepId: string; tool: string; durationMs: number; error: string }
  | {
      type: "step_evaluated";
      at: number;
      stepId: string;
      ok: boolean;
      reason: string;
      by: "checks" | "critic";
    }
  /**
   * The critic sent a draft of a reflecting step back: `revision` (1, 2, …) is being written with
   * `feedback`; `score` (0–1) is what the critic gave the draft it sent back.
   */
  | { type: "step_revised"; at: number; stepId: string; revision: number; score: number; feedback: string }
  /**
   * A sub-agent step (an `llm` step with a tool allowlist) called a tool: what was decided (ran,
   * approved, edited, rejected by a person, refused) and whether it worked.
   */
  | {
      type: "subagent_call";
      at: number;
      stepId: string;
      turn: number;
      call: number;
      tool: string;
      decision: "ran" | "approved" | "edited" | "rejected" | "refused";
      ok: boolean;
      error: string | null;
    }
  /**
   * A step's lowest confidence (its own, the critic's) was below `minConfidence`: its output waits
   * for a person (approve, edit, reject). `reasons` says which confidence was low, or missing.
   */
  | {
      type: "step_gated";
      at: number;
      stepId: string;
      confidence: number;
      threshold: number;
      reasons: string[];
    }
  /**
   * `replan: "on_signal"`: the evaluator judged the remaining plan after `after` succeeded. `replan`:
   * it no longer fits (`reason`), the replanner rewrites the unfinished steps; `unreadable`: the
   * judgement could not be read twice, the plan is kept (`note`).
   */
  | {
      type: "plan_checked";
      at: number;
      after: string[];
      verdict: "fits" | "replan" | "unreadable";
      reason: string;
      note: string | null;
    }
  /**
   * `review`: new steps asked for by a failed answer review, not by a failed step. `signal`: the
   * reason the evaluator gave when it judged that the remaining plan no longer fits.
   */
  | {
      type: "replanned";
      at: number;
      replan: number;
      failed: string[];
      steps: PlanStep[];
      review?: boolean;
      signal?: string;
    }
  | { type: "final"; at: number; answer: string; partial: boolean }
  /** The answer was reviewed; `revise`: its findings go to the replanner for one more round. */
  | {
      type: "answer_reviewed";
      at: number;
      round: number;
      passed: boolean;
      findings: string[];
      by: ("checks" | "reviewer")[];
      revise: boolean;
    }
  | { type: "run_failed"; at: number; error: string }
  /**
   * Plan search: the planner's candidates, each with its value (judge and features combined), and
   * the one chosen. `valuedBy: "features"` when the judge was off, unreadable or out of range
   * (`judgeNote` says which); `merged`: duplicates folded into an earlier candidate; `dropped`:
   * invalid candidates, with their problems.
   */
  | {
      type: "plan_candidates";
      at: number;
      candidates: { node: string; value: number; judge: number | null; features: number; tools: string[] }[];
      chosen: string;
      valuedBy: "judge" | "features";
      judgeNote: string | null;
      merged: number;
      dropped: { candidate: number; issues: string[] }[];
    }
  /**
   * Plan search after a plan ended: its reward (back-propagated to its ancestors) and what runs
   * next — a plan of the tree (`run`, reusing the finished steps in `reused`), a recovery plan the
   * replanner writes (`expand`), or nothing (`ended` says why and what was tried).
   */
  | {
      type: "search_step";
      at: number;
      node: string | null;
      outcome: "succeeded" | "failed" | null;
      reward: number | null;
      next: { kind: "run" | "expand"; node: string } | null;
      reused: Record<string, string>;
      ended: string | null;
    };

type WithoutAt<T> = T extends unknown ? Omit<T, "at"> : never;
export type ProgressEventInput = WithoutAt<ProgressEvent>;

export type ProgressWriter = (event: ProgressEventInput) => void;

/** Wraps the runtime's custom-stream writer (absent when the caller streams no custom mode). */
export function progressWriter(writer: ((chunk: unknown) => void) | undefined): ProgressWriter {
  return (event) => writer?.({ ...event, at: Date.now() });
}

export function isProgressEvent(chunk: unknown): chunk is ProgressEvent {
  return typeof chunk === "object" && chunk !== null && "type" in chunk && "at" in chunk;
}
