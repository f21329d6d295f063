import type { ProgressEvent } from "../core/events.js";
import type { PlanStep } from "../plan/schema.js";

export interface Output {
  write(text: string): void;
}

const color = (code: number) => (text: string, enabled: boolean) =>
  enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
const dim = color(2);
const green = color(32);
const red = color(31);
const yellow = color(33);
const cyan = color(36);

/** Turns progress events into a readable live log: plan tables, step lines with elapsed times. */
export class ProgressRenderer {
  readonly #out: Output;
  readonly #colors: boolean;
  readonly #start = Date.now();
  #streaming = false;

  constructor(out: Output, options: { colors: boolean }) {
    this.#out = out;
    this.#colors = options.colors;
  }

  #clock(at: number): string {
    return dim(`${((at - this.#start) / 1000).toFixed(2).padStart(6)}s`, this.#colors);
  }

  #line(at: number, text: string): void {
    this.endAnswer();
    this.#out.write(`${this.#clock(at)}  ${text}\n`);
  }

  event(e: ProgressEvent): void {
    const c = this.#colors;
    switch (e.type) {
      case "plan_created":
        return this.#line(e.at, `plan v${e.version}: ${e.steps.length} steps\n${planTable(e.steps)}`);
      case "plan_invalid":
        return this.#line(e.at, yellow(`plan refused (attempt ${e.attempt}):\n${indent(e.issues)}`, c));
      case "step_started":
        return this.#line(
          e.at,
          `${cyan("▶", c)} ${e.stepId} ${dim(e.tool, c)}${e.attempt > 1 ? ` attempt ${e.attempt}` : ""}`,
        );
      case "step_retry":
        return this.#line(e.at, yellow(`↻ ${e.stepId} retry in ${e.delayMs} ms: ${e.error}`, c));
      case "step_finished":
        return this.#line(
          e.at,
          `${green("✔", c)} ${e.stepId} ${dim(`${e.tool} ${seconds(e.durationMs)}`, c)}`,
        );
      case "step_failed":
        return this.#line(
          e.at,
          `${red("✖", c)} ${e.stepId} ${dim(seconds(e.durationMs), c)} ${red(e.error, c)}`,
        );
      case "step_evaluated":
        // Deterministic verdicts repeat what step_failed already showed; only the critic adds news.
        return e.by === "critic"
          ? this.#line(
              e.at,
              `${e.ok ? green("✓", c) : red("✗", c)} ${e.stepId} ${dim(`${e.by}: ${e.reason}`, c)}`,
            )
          : undefined;
      case "step_revised":
        return this.#line(
          e.at,
          yellow(`↺ ${e.stepId} revision ${e.revision}`, c) +
            ` ${dim(`(draft scored ${e.score.toFixed(2)}): ${e.feedback}`, c)}`,
        );
      case "replanned":
        return this.#line(
          e.at,
          yellow(
            e.review
              ? "new steps for the answer review:"
              : e.signal !== undefined
                ? `replan #${e.replan}: the remaining plan no longer fit (${e.signal}); new steps:`
                : `replan #${e.replan} after ${e.failed.join(", ")} failed; new steps:`,
            c,
          ) + `\n${planTable(e.steps)}`,
        );
      case "subagent_call":
        return this.#line(
          e.at,
          `  ${e.ok ? green("↳", c) : red("↳", c)} ${e.stepId} ${dim(`call ${e.call} (turn ${e.turn})`, c)} ${e.tool}` +
            ` ${dim(e.decision === "ran" ? "" : e.decision, c)}${e.error ? ` ${red(e.error, c)}` : ""}`,
        );
      case "step_gated":
        return this.#line(
          e.at,
          yellow(`⏸ ${e.stepId} confidence ${e.confidence.toFixed(2)} < ${e.threshold}`, c) +
            ` ${dim(`${e.reasons.join("; ")} → waits for a person`, c)}`,
        );
      case "plan_checked":
        return this.#line(e.at, planCheckLine(e, c));
      case "answer_reviewed":
        return this.#line(e.at, answerReviewLine(e, c));
      case "final":
        return this.endAnswer();
      case "run_failed":
        return this.#line(e.at, red(`run failed: ${e.error}`, c));
      case "plan_candidates":
        return this.#line(e.at, candidatesText(e));
      case "search_step":
        return this.#line(e.at, yellow(searchStepText(e), c));
    }
  }

  /** A token of the final answer, printed as it streams. */
  token(text: string): void {
    if (!this.#streaming) {
      this.#out.write(`\n${this.#colors ? "\x1b[1mAnswer\x1b[0m" : "Answer"}\n`);
      this.#streaming = true;
    }
    this.#out.write(text);
  }

  endAnswer(): void {
    if (this.#streaming) this.#out.write("\n\n");
    this.#streaming = false;
  }
}

/** One line for a judgement of the remaining plan (replan: on_signal). */
export function planCheckLine(e: Extract<ProgressEvent, { type: "plan_checked" }>, colors: boolean): string {
  const after = `after ${e.after.join(", ")}`;
  if (e.verdict === "fits") return dim(`· remaining plan still fits ${after}: ${e.reason}`, colors);
  if (e.verdict === "replan")
    return (
      yellow(`⚑ remaining plan no longer fits ${after}: ${e.reason}`, colors) + dim(" → replanner", colors)
    );
  return yellow(`? remaining plan kept ${after}: ${e.note ?? "the judgement could not be read"}`, colors);
}

/** One line for an answer review: passed, or what it found and whether another round follows. */
export function answerReviewLine(
  e: Extract<ProgressEvent, { type: "answer_reviewed" }>,
  colors: boolean,
): string {
  const who = e.by.join(" + ");
  if (e.passed) return `${green("✓", colors)} answer review ${dim(`passed (${who})`, colors)}`;
  const next = e.revise ? "one more round" : "no round left";
  return `${red("✗", colors)} answer review ${dim(`(${who}): ${e.findings.join(" ")} → ${next}`, colors)}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function indent(lines: string[]): string {
  return lines.map((l) => `          - ${l}`).join("\n");
}

/** The plan as an aligned text table. */
export function planTable(steps: readonly PlanStep[]): string {
  const rows = [
    ["id", "tool", "after", "description"],
    ...steps.map((s) => [s.id, s.tool, s.depends_on.join(",") || "-", s.description]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows
    .map((r) => `          ${r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ")}`)
    .join("\n");
}

/** The planner's candidates with their values, and which one runs. */
export function candidatesText(e: Extract<ProgressEvent, { type: "plan_candidates" }>): string {
  const lines = [
    `plan search: ${e.candidates.length} candidate${e.candidates.length === 1 ? "" : "s"}, valued by ${e.valuedBy}` +
      (e.judgeNote ? ` (${e.judgeNote})` : "") +
      (e.merged ? `; ${e.merged} duplicate${e.merged > 1 ? "s" : ""} merged` : "") +
      (e.dropped.length ? `; ${e.dropped.length} invalid dropped` : ""),
  ];
  for (const n of e.candidates) {
    const judge = n.judge === null ? "judge —" : `judge ${n.judge.toFixed(2)}`;
    lines.push(
      `  ${n.node === e.chosen ? "▶" : " "} ${n.node} value ${n.value.toFixed(2)} (${judge}, features ${n.features.toFixed(2)}): ${n.tools.join(" → ")}`,
    );
  }
  return lines.join("\n");
}

/** How a plan of the search ended and what runs next. */
export function searchStepText(e: Extract<ProgressEvent, { type: "search_step" }>): string {
  const ended = e.node ? `${e.node} ${e.outcome} (reward ${e.reward?.toFixed(2)})` : "search";
  const reused = Object.keys(e.reused).length
    ? `, reusing ${Object.entries(e.reused)
        .map(([from, to]) => (from === to ? to : `${to} for ${from}`))
        .join(", ")}`
    : "";
  if (e.next?.kind === "run") return `${ended}; next: plan ${e.next.node}${reused}`;
  if (e.next?.kind === "expand") return `${ended}; next: a recovery plan for ${e.next.node}`;
  return e.ended ? `${ended}; ${e.ended}` : ended;
}
