import type { z } from "zod";
import { ancestors, findCycle } from "./dag.js";
import { idLabel, shownId, stepIdProblem, toIdMap, type StepIdMap } from "./ids.js";
import {
  count,
  MAX_ARGS_CHARS,
  MAX_DESCRIPTION_CHARS,
  MAX_EXPECTED_OUTPUT_CHARS,
  MAX_PLAN_CHARS,
  MAX_TOOL_NAME_CHARS,
} from "./limits.js";
import { encodePlan, type PlanStep } from "./schema.js";
import { findReferences, isWholeReference, lookupPath, TemplateError } from "./template.js";

export type PlanIssueCode =
  | "empty_plan"
  | "too_many_steps"
  | "too_large"
  | "invalid_id"
  | "duplicate_id"
  | "id_clash"
  | "unknown_tool"
  | "invalid_args"
  | "missing_dependency"
  | "cycle"
  | "bad_reference";

export interface PlanIssue {
  code: PlanIssueCode;
  stepId?: string;
  message: string;
}

/** What validation needs to know about tools: their names and argument schemas. */
export interface ToolCatalog {
  get(
    name: string,
  ): { schema: z.ZodType<unknown>; planIssues?(args: unknown, toolNames: string[]): string[] } | undefined;
  names(): string[];
}

export interface ValidationContext {
  tools: ToolCatalog;
  maxSteps: number;
  /**
   * Outputs of steps that already succeeded (for a replan), by step id: they may be depended on and
   * referenced. A `Map`, or an object of which only own keys count.
   */
  finished?: StepIdMap<unknown>;
  /** Ids already used by earlier steps (failed, skipped, …) that a new step must not take. */
  reservedIds?: readonly string[];
}

/**
 * Checks a plan before any step runs. Returns every problem found (empty when the plan is valid),
 * each phrased so that it can be sent back to the planner as a repair request.
 */
export function validatePlan(steps: readonly PlanStep[], ctx: ValidationContext): PlanIssue[] {
  if (steps.length === 0) return [{ code: "empty_plan", message: "The plan has no steps." }];
  const finished = toIdMap(ctx.finished ?? new Map<string, unknown>());
  const issues: PlanIssue[] = [];
  if (steps.length > ctx.maxSteps) {
    issues.push({
      code: "too_many_steps",
      message: `The plan has ${steps.length} steps; at most ${ctx.maxSteps} are allowed. Merge or drop steps.`,
    });
  }
  const sizes = checkSizes(steps);
  issues.push(...sizes);
  // A plan over the whole-plan limit is refused for its size alone: the rest is checked once it fits.
  if (sizes.some((issue) => issue.stepId === undefined)) return issues;
  issues.push(...checkIds(steps, finished, new Set(ctx.reservedIds ?? [])));
  for (const step of steps) {
    issues.push(...checkTool(step, ctx.tools), ...checkDependencies(step, steps, finished));
  }
  const cycle = findCycle(steps);
  if (cycle) {
    issues.push({
      code: "cycle",
      stepId: cycle[0],
      message: `Dependency cycle: ${cycle.map(idLabel).join(" → ")}. A step cannot wait for itself.`,
    });
  }
  for (const step of steps) issues.push(...checkReferences(step, steps, finished));
  return issues;
}

/** Text fields, args and the whole plan against the limits in `limits.ts`. */
function checkSizes(steps: readonly PlanStep[]): PlanIssue[] {
  const issues: PlanIssue[] = [];
  for (const step of steps) {
    const check = (field: string, size: number, max: number, advice: string) => {
      if (size <= max) return;
      issues.push({
        code: "too_large",
        stepId: step.id,
        message: `${idLabel(step.id)}: ${field} is ${count(size)} characters; at most ${count(max)} are allowed. ${advice}`,
      });
    };
    check(
      "description",
      step.description.length,
      MAX_DESCRIPTION_CHARS,
      "Say what the step does in a sentence or two.",
    );
    check(
      "expected_output",
      step.expected_output.length,
      MAX_EXPECTED_OUTPUT_CHARS,
      "Say briefly what a correct output looks like.",
    );
    check("tool", step.tool.length, MAX_TOOL_NAME_CHARS, "Use the name of one of the listed tools.");
    check(
      "args (as JSON)",
      (JSON.stringify(step.args) ?? "").length,
      MAX_ARGS_CHARS,
      "Pass large data from an earlier step by {{step_id.output}} reference instead of writing it into args.",
    );
  }
  const total = JSON.stringify(encodePlan(steps)).length;
  if (total > MAX_PLAN_CHARS) {
    issues.push({
      code: "too_large",
      message:
        `The plan is ${count(total)} characters as JSON; at most ${count(MAX_PLAN_CHARS)} are allowed. ` +
        "Write fewer, shorter steps, and pass data between steps by {{step_id.output}} reference.",
    });
  }
  return issues;
}

function checkIds(
  steps: readonly PlanStep[],
  finished: ReadonlyMap<string, unknown>,
  reserved: ReadonlySet<string>,
): PlanIssue[] {
  const issues: PlanIssue[] = [];
  const seen = new Set<string>();
  for (const { id } of steps) {
    const problem = stepIdProblem(id);
    if (problem) {
      issues.push({ code: "invalid_id", stepId: id, message: problem });
    }
    if (seen.has(id)) {
      issues.push({
        code: "duplicate_id",
        stepId: id,
        message: `Step id ${shownId(id)} is used more than once.`,
      });
    }
    seen.add(id);
    if (finished.has(id) || reserved.has(id)) {
      issues.push({
        code: "id_clash",
        stepId: id,
        message: `Step id ${shownId(id)} belongs to an earlier step of this run; give the new step a new id.`,
      });
    }
  }
  return issues;
}

function checkTool(step: PlanStep, tools: ToolCatalog): PlanIssue[] {
  const tool = tools.get(step.tool);
  if (!tool) {
    return [
      {
        code: "unknown_tool",
        stepId: step.id,
        message: `${idLabel(step.id)}: unknown tool ${shownId(step.tool)}. Available tools: ${tools.names().join(", ")}.`,
      },
    ];
  }
  const result = tool.schema.safeParse(step.args);
  if (result.success) {
    // What a schema cannot say alone, e.g. an allowlist that must name registered tools.
    return (tool.planIssues?.(result.data, tools.names()) ?? []).map((message) => ({
      code: "invalid_args" as const,
      stepId: step.id,
      message: `${idLabel(step.id)}: args for "${step.tool}" are invalid: ${message}`,
    }));
  }
  // A whole-string reference stands in for a value of any type until run time.
  const real = result.error.issues.filter((issue) => !standsInForReference(step.args, issue.path));
  return real.map((issue) => ({
    code: "invalid_args" as const,
    stepId: step.id,
    message: `${idLabel(step.id)}: args for "${step.tool}" are invalid at ${formatPath(issue.path)}: ${issue.message}`,
  }));
}

function standsInForReference(args: unknown, path: readonly PropertyKey[]): boolean {
  let current: unknown = args;
  for (const key of path) {
    if (isWholeReference(current)) return true;
    if (current === null || typeof current !== "object") return false;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return isWholeReference(current);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(root)" : path.map(String).join(".");
}

function checkDependencies(
  step: PlanStep,
  steps: readonly PlanStep[],
  finished: ReadonlyMap<string, unknown>,
): PlanIssue[] {
  const ids = new Set(steps.map((s) => s.id));
  return step.depends_on.flatMap((dep): PlanIssue[] => {
    const problem = stepIdProblem(dep, "depends_on entry");
    if (problem) return [{ code: "invalid_id", stepId: step.id, message: `${idLabel(step.id)}: ${problem}` }];
    if (ids.has(dep) || finished.has(dep)) return [];
    return [
      {
        code: "missing_dependency",
        stepId: step.id,
        message: `${idLabel(step.id)} depends on "${dep}", which is neither a step of this plan nor a finished step.`,
      },
    ];
  });
}

function checkReferences(
  step: PlanStep,
  steps: readonly PlanStep[],
  finished: ReadonlyMap<string, unknown>,
): PlanIssue[] {
  const upstream = ancestors(steps, step.id);
  const issues: PlanIssue[] = [];
  for (const ref of findReferences(step.args)) {
    if (finished.has(ref.stepId) && !steps.some((s) => s.id === ref.stepId)) {
      try {
        lookupPath(finished.get(ref.stepId), ref.path, ref.raw);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        issues.push({
          code: "bad_reference",
          stepId: step.id,
          message: `${idLabel(step.id)}: ${err.message}`,
        });
      }
    } else if (ref.stepId === step.id || !upstream.has(ref.stepId)) {
      issues.push({
        code: "bad_reference",
        stepId: step.id,
        message:
          `${idLabel(step.id)} references ${ref.raw}, but "${ref.stepId}" is not among its dependencies` +
          ` (direct or transitive) nor a finished step. Add it to depends_on or remove the reference.`,
      });
    }
  }
  return issues;
}

/** The issues as a numbered list, for the planner's repair prompt and for error messages. */
export function formatIssues(issues: readonly PlanIssue[]): string {
  return issues.map((issue, i) => `${i + 1}. ${issue.message}`).join("\n");
}
