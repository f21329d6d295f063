import { isGraphBubbleUp } from "@langchain/langgraph";
import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { z } from "zod";
import type { Settings } from "../core/settings.js";
import type { ProgressWriter } from "../core/events.js";
import type { PlanExecuteStateType, PlanExecuteUpdate, RoleUsage } from "../core/state.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";
import { limitIssues } from "../plan/limits.js";
import { WirePlanReadSchema, WirePlanSchema, type PlanStep } from "../plan/schema.js";
import {
  createTree,
  dedupeCandidates,
  planFeatures,
  selectNext,
  startNode,
  type PlanFeatures,
  type ScoredCandidate,
} from "../plan/search.js";
import type { ToolRegistry } from "../tools/registry.js";
import type { NodeDeps } from "./deps.js";
import { checkPlan, pendingRecords } from "./planning.js";

/**
 * k plans in one structured answer: one call, so the tool catalogue is sent once, not k times. What
 * the candidates are (distinct, each reaching the goal, best first) the request says; the schema
 * does not say it again.
 */
export const WireCandidatesSchema = z.object({ candidates: z.array(WirePlanSchema) }).strict();

const WireCandidatesReadSchema = z.object({ candidates: z.array(WirePlanReadSchema) }).strict();

export const JudgeSchema = z
  .object({
    scores: z
      .array(
        z
          .object({
            candidate: z.number().int().describe("The candidate's number as shown (1, 2, …)."),
            // The rubric says what the score weighs, from 0 to 1.
            score: z.number(),
            reason: z.string().describe("One sentence: what decided the score."),
          })
          .strict(),
      )
      .describe("One score per candidate."),
  })
  .strict();

/** The value judge's rubric: what makes one plan better than another before anything runs. */
export const JUDGE_RUBRIC = `Score each candidate plan from 0 to 1 on how likely it is to reach the goal well. Weigh:
1. Covers the goal: every part of the goal has a step that produces it; nothing is left to guesswork.
2. Uses tools that compute: arithmetic with the calculator, data with the data tools, facts from search — not a language model guessing.
3. Runs without failing: complete args, correct {{step_id.output...}} references, each value it needs looked up first.
4. Parallel where possible: independent steps do not wait for each other.
5. Risk: HIGH-risk steps (sending, writing, deleting) only where the goal asks for them.
6. Expected cost: fewer steps and fewer model-written steps for the same result.
Give each candidate its own score; do not give equal scores unless the plans are equally good.`;

export function buildCandidatesPrompt(messages: BaseMessage[], k: number): BaseMessage[] {
  return [
    ...messages,
    new HumanMessage(
      `Write ${k} distinct candidate plans, each reaching the whole goal on its own, that differ in approach ` +
        "(other tools, sources or decomposition), so that if one fails another may succeed. Put the one you think " +
        "best first. Step ids may repeat across candidates.",
    ),
  ];
}

export function buildJudgePrompt(goal: string, tools: string, plans: readonly PlanStep[][]): BaseMessage[] {
  // One step a line, args as the object they stand for (not the wire form's escaped string).
  const shown = plans
    .map((p, i) => `Candidate ${i + 1}:\n${p.map((s) => JSON.stringify(stepForJudge(s))).join("\n")}`)
    .join("\n\n");
  return [
    new SystemMessage(
      `You are the value judge of a plan-and-execute agent.\n\n${JUDGE_RUBRIC}\n\nTools:\n${tools}`,
    ),
    new HumanMessage(`Goal: ${goal}\n\n${shown}`),
  ];
}

function stepForJudge(step: PlanStep) {
  const { id, tool, args, depends_on, description, expected_output, reflect } = step;
  return { id, tool, args, depends_on, description, expected_output, ...(reflect ? { reflect } : {}) };
}

export interface JudgeResult {
  /** One score per plan, or null for all when the answer did not parse or was out of range. */
  scores: (number | null)[];
  reasons: (string | null)[];
  note: string | null;
  usage: RoleUsage | null;
}

/**
 * Asks the evaluator model to score the plans. An answer that does not parse, misses a candidate,
 * names one twice or scores outside 0–1 is not used at all: the deterministic features decide, and
 * `note` says why.
 */
export async function judgePlans(
  deps: NodeDeps,
  settings: Settings,
  goal: string,
  plans: readonly PlanStep[][],
): Promise<JudgeResult> {
  const none = (note: string, usage: RoleUsage | null): JudgeResult => ({
    scores: plans.map(() => null),
    reasons: plans.map(() => null),
    note,
    usage,
  });
  // The judge weighs steps already written: the tools they use in full, the others by name.
  const tools = deps.tools.describeForPrompt({
    include: plans.flat().map((s) => s.tool),
    onlyIncluded: true,
  });
  let answer;
  try {
    answer = await invokeStructured(
      await deps.models("evaluator", settings),
      JudgeSchema,
      buildJudgePrompt(goal, tools, plans),
      { name: "plan_scores" },
    );
  } catch (err) {
    if (err instanceof StructuredOutputError)
      return none(`the judge's answer could not be read: ${err.message}`, null);
    // The judge is advice: a failed request (the client has retried already) leaves the features
    // to decide rather than ending the run. An interrupt or a cancelled run still ends it.
    if (isGraphBubbleUp(err) || (err as Error).name === "AbortError") throw err;
    return none(`the judge could not be asked: ${(err as Error).message}`, null);
  }
  const scores: (number | null)[] = plans.map(() => null);
  const reasons: (string | null)[] = plans.map(() => null);
  for (const s of answer.value.scores) {
    const i = s.candidate - 1;
    if (i < 0 || i >= plans.length)
      return none(`the judge scored candidate ${s.candidate}, which does not exist`, answer.usage);
    if (scores[i] !== null) return none(`the judge scored candidate ${s.candidate} twice`, answer.usage);
    if (!Number.isFinite(s.score) || s.score < 0 || s.score > 1)
      return none(`the judge's score ${s.score} for candidate ${s.candidate} is outside 0–1`, answer.usage);
    scores[i] = s.score;
    reasons[i] = s.reason;
  }
  const missing = scores.flatMap((s, i) => (s === null ? [i + 1] : []));
  if (missing.length > 0)
    return none(`the judge gave no score for candidate ${missing.join(", ")}`, answer.usage);
  return { scores, reasons, note: null, usage: answer.usage };
}

export function featuresOf(plan: PlanStep[], tools: ToolRegistry, maxSteps: number): PlanFeatures {
  return planFeatures(plan, {
    riskOf: (t) => tools.riskOf(t),
    writesWithModel: (t) => tools.get(t)?.usesModel === true,
    maxSteps,
  });
}

/**
 * The planner with `planSearch.candidates` > 1: one call for k candidate plans, each validated
 * (invalid ones dropped; all invalid → the repair round of a single plan), duplicates merged, then
 * valued (judge + features) and the best started as the first node of a new search tree.
 */
export async function planCandidates(
  deps: NodeDeps,
  state: PlanExecuteStateType,
  settings: Settings,
  emit: ProgressWriter,
  messages: BaseMessage[],
  attempt: number,
): Promise<PlanExecuteUpdate> {
  const k = settings.planSearch.candidates;
  const validation = { tools: deps.tools, maxSteps: settings.maxSteps };
  let proposals: { steps: PlanStep[]; issues: string[] }[];
  let plannerUsage: RoleUsage | null = null;
  try {
    const answer = await invokeStructured(
      await deps.models("planner", settings),
      WireCandidatesSchema,
      buildCandidatesPrompt(messages, k),
      { name: "plan_candidates", read: WireCandidatesReadSchema },
    );
    plannerUsage = answer.usage;
    proposals = answer.value.candidates.map((c) => checkPlan(c, validation));
    if (proposals.length === 0) proposals = [{ steps: [], issues: ["no candidate plan was given"] }];
  } catch (err) {
    if (!(err instanceof StructuredOutputError)) throw err;
    proposals = [{ steps: [], issues: [err.message] }];
  }
  const usage: PlanExecuteUpdate["usage"] = plannerUsage ? { planner: plannerUsage } : {};
  const dropped = proposals.flatMap((p, i) =>
    p.issues.length > 0 ? [{ candidate: i + 1, issues: p.issues }] : [],
  );
  const valid = proposals.filter((p) => p.issues.length === 0).map((p) => ({ plan: p.steps }));

  if (valid.length === 0) {
    // Every candidate was refused: the same repair round as a single plan, with every candidate's problems.
    const issues = limitIssues(
      dropped.flatMap((d) =>
        d.issues.map((i) => (proposals.length > 1 ? `candidate ${d.candidate}: ${i}` : i)),
      ),
    );
    emit({ type: "plan_invalid", attempt, issues, replan: false });
    const gaveUp = attempt >= settings.maxPlanAttempts;
    const error = gaveUp
      ? `The planner did not produce a valid plan in ${attempt} attempts. Last problems: ${issues.join(" | ")}`
      : null;
    if (error) emit({ type: "run_failed", error });
    return {
      rejectedPlan: proposals[0]?.steps ?? [],
      validationErrors: issues,
      planAttempts: attempt,
      usage,
      error,
    };
  }

  const { unique, mergedInto } = dedupeCandidates(valid);
  const kept = unique.slice(0, settings.planSearch.maxNodes);
  const judged =
    kept.length > 1 && settings.planSearch.judge
      ? await judgePlans(
          deps,
          settings,
          state.goal,
          kept.map((c) => c.plan),
        )
      : null;
  const judgeNote = judged
    ? judged.note
    : kept.length > 1
      ? "the judge is off (planSearch.judge)"
      : "one distinct candidate: nothing to compare";
  const merged = mergedInto.length - unique.length;
  const scored: ScoredCandidate[] = kept.map((c, i) => ({
    plan: c.plan,
    features: featuresOf(c.plan, deps.tools, settings.maxSteps),
    judge: judged?.scores[i] ?? null,
    judgeReason: judged?.reasons[i] ?? null,
    note: mergedNote(mergedInto, valid.length, i),
  }));
  let tree = createTree(settings.planSearch.selection, scored);
  const first = selectNext(tree, { canExpand: false, exploration: settings.planSearch.exploration });
  if (!first || first.kind !== "run") throw new Error("plan search: a new tree has no plan to run");
  const version = state.planVersion + 1;
  tree = startNode(tree, first.node, version);
  const chosen = tree.nodes.find((n) => n.id === first.node);
  const plan = chosen?.plan ?? [];
  emit({
    type: "plan_candidates",
    candidates: tree.nodes
      .filter((n) => n.kind !== "root")
      .map((n) => ({
        node: n.id,
        value: n.prior,
        judge: n.judge,
        features: n.features?.score ?? 0,
        tools: n.plan.map((s) => s.tool),
      })),
    chosen: first.node,
    valuedBy: judged !== null && judged.note === null ? "judge" : "features",
    judgeNote,
    merged,
    dropped,
  });
  emit({ type: "plan_created", version, steps: plan, replan: false });
  return {
    planFeedback: null,
    plan,
    steps: pendingRecords(plan),
    planVersion: version,
    planAttempts: attempt,
    rejectedPlan: [],
    validationErrors: [],
    usage: judged?.usage ? { ...usage, evaluator: judged.usage } : usage,
    planSearch: tree,
  };
}

/** "merged 1 duplicate" on the candidate that duplicates were folded into. */
function mergedNote(mergedInto: number[], proposals: number, kept: number): string | null {
  const folded = mergedInto.filter((to, from) => to === kept && from < proposals).length - 1;
  return folded > 0 ? `${folded} duplicate candidate${folded > 1 ? "s" : ""} merged into this one` : null;
}
