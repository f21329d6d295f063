import type { ProgressEvent } from "../core/events.js";
import type { PlanStep } from "../plan/schema.js";
import { answerReviewLine, candidatesText, planCheckLine, searchStepText, type Output } from "./render.js";

/** What the table reads of a saved step record when a run resumes. */
export interface SeedRecord {
  status: string;
  error?: string | null;
  startedAt?: number | null;
  finishedAt?: number | null;
  approval?: { status: string } | null;
  confidenceGate?: { status: string } | null;
}

type RowStatus = "pending" | "running" | "succeeded" | "failed" | "retrying" | "waiting";

interface Row {
  step: PlanStep;
  status: RowStatus;
  startedAt?: number;
  finishedAt?: number;
  note: string;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const ICON: Record<RowStatus, string> = {
  pending: "·",
  running: "",
  succeeded: "\x1b[32m✔\x1b[0m",
  failed: "\x1b[31m✖\x1b[0m",
  retrying: "\x1b[33m↻\x1b[0m",
  waiting: "\x1b[33m⏸\x1b[0m",
};

/**
 * The TTY view: the plan as a table that redraws in place — each step's status, a spinner and
 * the elapsed time while it runs — with notes (replans, refusals) scrolling above it.
 */
export class LiveTable {
  readonly #out: Output;
  readonly #rows = new Map<string, Row>();
  /** Progress of steps not in the table yet (started while the plan was still streaming). */
  readonly #early = new Map<string, Partial<Row>>();
  #drawn = 0;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #answering = false;
  /** The answer has started: the table above it is final and is never drawn again. */
  #answered = false;
  /** The frame on screen now (the last #drawn lines), so an unchanged frame is not rewritten. */
  #frameText = "";

  constructor(out: Output) {
    this.#out = out;
  }

  event(e: ProgressEvent): void {
    switch (e.type) {
      case "plan_created": {
        // A plan search's switch keeps the finished steps it reuses: their rows stay as they were.
        const before = e.replan ? new Map(this.#rows) : new Map<string, Row>();
        this.#rows.clear();
        for (const step of e.steps) {
          const kept = before.get(step.id);
          this.#rows.set(step.id, kept ?? { step, status: "pending", note: "", ...this.#early.get(step.id) });
        }
        this.#early.clear();
        return this.#start();
      }
      case "plan_candidates":
        return this.#note(candidatesText(e));
      case "search_step":
        return this.#note(`\x1b[33m${searchStepText(e)}\x1b[0m`);
      case "replanned":
        this.#note(
          e.review
            ? "\x1b[33mnew steps for the answer review\x1b[0m"
            : e.signal !== undefined
              ? `\x1b[33mreplan #${e.replan}\x1b[0m: the remaining plan no longer fit`
              : `\x1b[33mreplan #${e.replan}\x1b[0m after ${e.failed.join(", ")} failed`,
        );
        // A rewrite drops the steps that had not run: they leave the table; finished ones stay.
        if (e.signal !== undefined)
          for (const [id, row] of this.#rows) if (row.status === "pending") this.#rows.delete(id);
        for (const step of e.steps) this.#rows.set(step.id, { step, status: "pending", note: "" });
        return this.#draw();
      case "plan_invalid":
        return this.#note(`\x1b[33mplan refused (attempt ${e.attempt})\x1b[0m: ${e.issues.join("; ")}`);
      case "step_started":
        return this.#update(e.stepId, {
          status: "running",
          startedAt: e.at,
          note: e.attempt > 1 ? `attempt ${e.attempt}` : "",
        });
      case "step_retry":
        return this.#update(e.stepId, { status: "retrying", note: `retry in ${e.delayMs} ms: ${e.error}` });
      case "step_finished":
        return this.#update(e.stepId, { status: "succeeded", finishedAt: e.at, note: "" });
      case "step_failed":
        return this.#update(e.stepId, { status: "failed", finishedAt: e.at, note: e.error });
      case "step_evaluated":
        return e.by === "critic" ? this.#update(e.stepId, { note: `critic: ${e.reason}` }) : undefined;
      case "step_revised":
        return this.#update(e.stepId, {
          note: `revision ${e.revision} (draft scored ${e.score.toFixed(2)}): ${e.feedback}`,
        });
      case "subagent_call":
        return this.#update(e.stepId, {
          note: `call ${e.call} ${e.tool}${e.decision === "ran" ? "" : ` (${e.decision})`}${e.error ? `: ${e.error}` : ""}`,
        });
      case "step_gated":
        return this.#update(e.stepId, {
          status: "waiting",
          note: `confidence ${e.confidence.toFixed(2)} < ${e.threshold}: ${e.reasons.join("; ")}`,
        });
      case "plan_checked":
        // Only news is shown: a plan that still fits says nothing in the table view.
        return e.verdict === "fits" ? undefined : this.#note(planCheckLine(e, true));
      case "answer_reviewed":
        // A passed review adds nothing below the answer (which stays the last thing on screen);
        // a failed one is news, and when a round follows, the table comes back for its steps.
        if (e.passed) return;
        this.#note(answerReviewLine(e, true));
        if (e.revise) {
          this.#answered = false;
          this.#start();
        }
        return;
      case "run_failed":
        return this.#note(`\x1b[31mrun failed:\x1b[0m ${e.error}`);
      case "final":
        return this.endAnswer();
    }
  }

  /**
   * A resumed run: the table starts from the thread's plan and its steps as saved — finished
   * ones with their times, a step that waits for a person as waiting — so the steps that run now
   * appear among the ones that ran before instead of on an empty table.
   */
  seed(plan: PlanStep[], records: Record<string, SeedRecord | undefined>): void {
    this.#rows.clear();
    for (const step of plan) {
      const r = records[step.id];
      const waiting = r?.approval?.status === "waiting" || r?.confidenceGate?.status === "waiting";
      const status: RowStatus =
        r?.status === "succeeded"
          ? waiting
            ? "waiting"
            : "succeeded"
          : r?.status === "failed" || r?.status === "rejected"
            ? "failed"
            : waiting
              ? "waiting"
              : "pending";
      const note =
        status === "failed"
          ? (r?.error ?? r?.status ?? "")
          : r?.status === "skipped"
            ? `skipped: ${r.error ?? ""}`
            : waiting
              ? "waiting for a person"
              : "";
      this.#rows.set(step.id, {
        step,
        status,
        note,
        ...(r?.startedAt ? { startedAt: r.startedAt } : {}),
        ...(r?.finishedAt && status !== "pending" ? { finishedAt: r.finishedAt } : {}),
      });
    }
    if (this.#rows.size > 0) this.#draw();
  }

  /** Marks steps that wait for a person, before the view stops. */
  waiting(stepIds: string[]): void {
    for (const id of stepIds) this.#update(id, { status: "waiting", note: "waiting for approval" });
    this.stop();
  }

  token(text: string): void {
    if (!this.#answering && !this.#answered) {
      this.stop();
      // The table stays where it is, above the answer, as the run's final table.
      this.#drawn = 0;
      this.#answered = true;
      this.#out.write("\n\x1b[1mAnswer\x1b[0m\n");
      this.#answering = true;
    }
    this.#out.write(text);
  }

  endAnswer(): void {
    if (this.#answering) this.#out.write("\n\n");
    this.#answering = false;
    this.stop();
  }

  /**
   * Stops the spinner and leaves the last frame on screen. It may be called more than once (the
   * answer's end, the stream's end, the waiting steps): each redraws in place, never a new copy.
   */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#draw();
  }

  #start(): void {
    this.#timer ??= setInterval(() => {
      this.#frame += 1;
      this.#draw();
    }, 100);
    this.#timer.unref();
    this.#draw();
  }

  #update(id: string, patch: Partial<Row>): void {
    const row = this.#rows.get(id);
    if (row) Object.assign(row, patch);
    // A step the streaming planner started before the plan was complete: shown once the plan is.
    else this.#early.set(id, { ...this.#early.get(id), ...patch });
    this.#draw();
  }

  #note(text: string): void {
    this.#clear();
    this.#out.write(`${text}\n`);
    this.#draw();
  }

  #clear(): void {
    if (this.#drawn > 0) this.#out.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
    this.#frameText = "";
  }

  #draw(): void {
    if (this.#answered || this.#rows.size === 0) return;
    const rows = [...this.#rows.values()];
    const idWidth = Math.max(4, ...rows.map((r) => r.step.id.length));
    const toolWidth = Math.max(4, ...rows.map((r) => r.step.tool.length));
    const lines = rows.map((r) => {
      const icon =
        r.status === "running" ? `\x1b[36m${SPINNER[this.#frame % SPINNER.length]}\x1b[0m` : ICON[r.status];
      const end = r.finishedAt ?? Date.now();
      const elapsed = r.startedAt ? `${((end - r.startedAt) / 1000).toFixed(1)}s` : "";
      const text = r.note || r.step.description;
      return ` ${icon} ${r.step.id.padEnd(idWidth)}  ${r.step.tool.padEnd(toolWidth)}  ${elapsed.padStart(6)}  \x1b[2m${text.slice(0, 80)}\x1b[0m`;
    });
    const frame = `${lines.join("\n")}\n`;
    if (frame === this.#frameText && this.#drawn > 0) return;
    this.#clear();
    this.#out.write(frame);
    this.#drawn = lines.length;
    this.#frameText = frame;
  }
}
