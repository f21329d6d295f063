import type { PlanStep } from "./schema.js";
import { validatePlan, type ToolCatalog } from "./validate.js";

export interface EarlyStartContext {
  tools: ToolCatalog;
  /** Whether the tool's risk tier is LOW (read-only): only such steps may start before the plan is whole. */
  isLow(tool: string): boolean;
  maxSteps: number;
  /**
   * Whether the step's output waits for the critic before dependents may use it: a step that
   * depends on such a step waits for the whole plan, as the executor would hold it anyway.
   */
  heldForCritic(step: PlanStep): boolean;
  /**
   * Finished, already judged steps the plan may depend on and reference, with their outputs (a
   * recovery plan's kept steps). A step may depend on them without their having started in this answer.
   */
  finished?: ReadonlyMap<string, unknown>;
  /** Ids the plan may not give a new step (the run's failed, skipped or refused steps). */
  reservedIds?: ReadonlySet<string>;
}

/**
 * Why a step just read from the plan stream cannot start before the whole plan is written and
 * validated — or null when it can. It can when it is complete and valid *on its own*: its id is
 * new, its tool is known and LOW, its args are valid for the tool, and every step it depends on
 * was emitted before it and has itself started (so no cycle can ever involve it, and every
 * reference it makes points upstream) or is a finished step the plan keeps (`ctx.finished`).
 * `emitted` are the steps read before it, in order; `started` the ones of them that started early.
 */
export function earlyStartBlocker(
  step: PlanStep,
  emitted: readonly PlanStep[],
  started: ReadonlyMap<string, PlanStep>,
  ctx: EarlyStartContext,
): string | null {
  if (emitted.length >= ctx.maxSteps) return `the plan already has ${ctx.maxSteps} steps`;
  if (emitted.some((s) => s.id === step.id)) return `a step with id ${step.id} came before`;
  if (started.has(step.id) || ctx.finished?.has(step.id) || ctx.reservedIds?.has(step.id))
    return `the id ${step.id} belongs to an earlier step of this run`;
  if (!ctx.tools.get(step.tool)) return `unknown tool ${step.tool}`;
  if (!ctx.isLow(step.tool)) return `${step.tool} is not a LOW-risk tool`;
  // A sub-agent step (an llm step with a tool allowlist) calls tools of any tier, which may stop for a person.
  if (Array.isArray(step.args.tools) && step.args.tools.length > 0)
    return "it calls tools of its own (a sub-agent step)";
  for (const dep of step.depends_on) {
    if (ctx.finished?.has(dep) && !started.has(dep)) continue; // finished and judged
    const upstream = started.get(dep);
    if (!upstream) return `it depends on ${dep}, which has not started`;
    if (ctx.heldForCritic(upstream)) return `it depends on ${dep}, which waits for the critic`;
  }
  // The step with the steps already started (each valid): any problem found is this step's own.
  const issues = validatePlan([...started.values(), step], {
    tools: ctx.tools,
    maxSteps: Number.MAX_SAFE_INTEGER,
    ...(ctx.finished ? { finished: ctx.finished } : {}),
  }).filter((issue) => issue.stepId === undefined || issue.stepId === step.id);
  return issues.length > 0 ? issues.map((i) => i.message).join(" ") : null;
}
