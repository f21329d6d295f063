import { BUDGET_KEYS, type BudgetKey } from "../core/settings.js";
import type { ApprovalRequest } from "../core/decisions.js";

/** Bad command-line input: exit code 2 with a one-line message. */
export class UsageError extends Error {}

/** Bad usage or configuration (exit code 2), including node's own argument-parsing errors. */
export function isUsageError(err: unknown): boolean {
  return err instanceof UsageError || Boolean((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"));
}

export interface DecisionFlags {
  approve?: boolean;
  reject?: string;
  edit?: string;
  /** Plan search: the candidate (node id) to run instead of the chosen one. */
  pick?: string;
  step?: string;
  raise?: string[];
  finish?: boolean;
  /** The stop the decision was made for (as printed with it); another stop refuses it. */
  stop?: string;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--edit is not valid JSON (${(err as Error).message}); ${what}`);
  }
}

function chosen(flags: DecisionFlags): number {
  return [
    flags.approve,
    flags.reject !== undefined,
    flags.edit !== undefined,
    flags.pick !== undefined,
    flags.finish,
    (flags.raise ?? []).length > 0,
  ].filter(Boolean).length;
}

/**
 * Turns `resume` flags into the resume value for the stop the thread is at. The value names that
 * stop, so the run applies it there and nowhere else; `--stop` given for another stop is refused.
 */
export function resumeValue(request: ApprovalRequest, flags: DecisionFlags): unknown {
  if (chosen(flags) !== 1) {
    throw new UsageError(
      "say exactly one of --approve, --reject \"<why>\", --edit '<json>', --pick NODE (or --raise / --finish at a budget stop)",
    );
  }
  if (flags.stop !== undefined && flags.stop !== request.stop) {
    throw new StaleDecisionError(
      `the run no longer waits at stop ${flags.stop}: it now waits at stop ${request.stop} (see below); nothing was applied`,
    );
  }
  const value =
    request.type === "plan_approval"
      ? planValue(flags)
      : request.type === "step_approval"
        ? stepValue(request, flags)
        : request.type === "low_confidence"
          ? outputValue(request, flags)
          : budgetValue(flags);
  return { stop: request.stop, ...(value as object) };
}

/** A decision made for a stop the run has left (another process decided it, or the run moved on). */
export class StaleDecisionError extends UsageError {}

function planValue(flags: DecisionFlags): unknown {
  if (flags.approve) return { action: "approve" };
  if (flags.reject !== undefined) return { action: "reject", feedback: flags.reject || "rejected" };
  if (flags.edit !== undefined) {
    const plan = parseJson(flags.edit, 'give the plan as {"steps": [...]} or as a list of steps');
    return { action: "edit", plan: Array.isArray(plan) ? { steps: plan } : plan };
  }
  if (flags.pick !== undefined) return { action: "pick", candidate: flags.pick };
  throw new UsageError("a plan approval takes --approve, --reject, --edit or --pick");
}

function stepValue(
  request: Extract<ApprovalRequest, { type: "step_approval" }>,
  flags: DecisionFlags,
): unknown {
  const ids = request.steps.map((s) => s.stepId);
  const stepId = flags.step ?? (ids.length === 1 ? ids[0] : undefined);
  if (!stepId)
    throw new UsageError(`${ids.length} steps wait for approval (${ids.join(", ")}): add --step ID`);
  if (flags.approve) return { stepId, action: "approve" };
  if (flags.reject !== undefined)
    return { stepId, action: "reject", ...(flags.reject ? { reason: flags.reject } : {}) };
  if (flags.edit !== undefined)
    return { stepId, action: "edit", args: parseJson(flags.edit, "give the step's args as a JSON object") };
  throw new UsageError("a step approval takes --approve, --reject or --edit");
}

/** At a low-confidence stop, `--edit` is the new output: JSON, or else the text as it is. */
function outputValue(
  request: Extract<ApprovalRequest, { type: "low_confidence" }>,
  flags: DecisionFlags,
): unknown {
  const ids = request.steps.map((s) => s.stepId);
  const stepId = flags.step ?? (ids.length === 1 ? ids[0] : undefined);
  if (!stepId) throw new UsageError(`${ids.length} steps wait for review (${ids.join(", ")}): add --step ID`);
  if (flags.approve) return { stepId, action: "approve" };
  if (flags.reject !== undefined)
    return { stepId, action: "reject", ...(flags.reject ? { reason: flags.reject } : {}) };
  if (flags.edit !== undefined) {
    if (flags.edit.trim() === "") throw new UsageError("--edit needs the new output (JSON, or plain text)");
    let output: unknown = flags.edit;
    try {
      output = JSON.parse(flags.edit);
    } catch {
      // Plain text is an output too.
    }
    return { stepId, action: "edit", output };
  }
  throw new UsageError("a low-confidence stop takes --approve, --reject or --edit");
}

function budgetValue(flags: DecisionFlags): unknown {
  if (flags.finish) return { action: "finish" };
  if (flags.raise?.length) {
    const limits: Partial<Record<BudgetKey, number>> = {};
    for (const item of flags.raise) {
      const [key, value] = item.split("=");
      if (!BUDGET_KEYS.includes(key as BudgetKey) || !Number.isFinite(Number(value))) {
        throw new UsageError(
          `--raise takes KEY=NUMBER with KEY one of ${BUDGET_KEYS.join(", ")} (got "${item}")`,
        );
      }
      limits[key as BudgetKey] = Number(value);
    }
    return { action: "raise", limits };
  }
  throw new UsageError("a budget stop takes --raise KEY=NUMBER (repeatable) or --finish");
}

/** What waits, and the commands that answer it, for a person reading a log. */
export function describeWaiting(threadId: string, request: ApprovalRequest): string {
  const lines: string[] = [];
  const cmd = `plan-execute resume ${threadId} --stop ${request.stop}`;
  if (request.errors.length) lines.push(...request.errors.map((e) => `refused: ${e}`));
  if (request.type === "plan_approval") {
    const recovery = request.kept && request.kept.length > 0;
    lines.push(
      recovery
        ? `The recovery plan (v${request.version}) waits for approval; its steps to run:`
        : `The plan (v${request.version}) waits for approval:`,
    );
    for (const s of request.steps)
      lines.push(`  ${s.id} [${s.tool}, ${s.risk}] ${s.description} args=${JSON.stringify(s.args)}`);
    if (recovery) {
      lines.push("  finished, kept as they are (an edit may depend on them, not replace them):");
      for (const k of request.kept ?? []) lines.push(`    ${k.id} (${k.status}) ${k.description}`);
    }
    for (const c of request.candidates ?? []) {
      const judge = c.judge === null ? "no judge score" : `judge ${c.judge.toFixed(2)}`;
      lines.push(
        `  candidate ${c.node}${c.chosen ? " (chosen)" : ""}: value ${c.value.toFixed(2)} (${judge}, features ${c.features.toFixed(2)}) ${c.steps.map((s) => s.tool).join(" → ")}`,
      );
    }
    lines.push(
      `Resume: ${cmd} --approve | --reject "<why>"${recovery ? " (ends the recovery)" : ""} | --edit '{"steps":[...]}'${request.candidates ? " | --pick NODE" : ""}`,
    );
  } else if (request.type === "step_approval") {
    lines.push(`${request.steps.length} step(s) wait for approval:`);
    for (const s of request.steps)
      lines.push(
        `  ${s.stepId} [${s.tool}, ${s.risk}] ${s.description}\n    args: ${JSON.stringify(s.args)}`,
      );
    lines.push(`Resume: ${cmd} --step ID --approve | --reject "<why>" | --edit '<args json>'`);
  } else if (request.type === "low_confidence") {
    lines.push(
      `${request.steps.length} step(s) wait for review (confidence below ${request.steps[0]?.threshold}):`,
    );
    for (const s of request.steps)
      lines.push(
        `  ${s.stepId} [${s.tool}] ${s.description}\n    confidence ${s.confidence.toFixed(2)}: ${s.reasons.join("; ")}\n    output: ${preview(s.output)}`,
      );
    lines.push(`Resume: ${cmd} --step ID --approve | --reject "<why>" | --edit '<new output: JSON or text>'`);
  } else {
    lines.push("A budget limit was reached:");
    for (const e of request.exceeded) lines.push(`  ${e.key}: used ${round(e.used)} of ${e.limit}`);
    lines.push(`Resume: ${cmd} --raise ${request.exceeded[0]?.key ?? "maxTokens"}=<new limit> | --finish`);
  }
  return lines.join("\n");
}

function preview(output: unknown): string {
  const text = typeof output === "string" ? output : JSON.stringify(output);
  return text.length > 500 ? `${text.slice(0, 500)}… (${text.length - 500} more characters)` : text;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(4);
}
