import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings, type Settings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import {
  stepRecordOf,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type StepRecord,
} from "../core/state.js";
import { idRecord } from "../plan/ids.js";
import type { PlanStep } from "../plan/schema.js";
import {
  adaptPlan,
  addRecovery,
  finishNode,
  nodeById,
  planNodeCount,
  runReward,
  selectNext,
  startNode,
  type SearchTree,
} from "../plan/search.js";
import type { NodeDeps } from "./deps.js";
import { featuresOf } from "./plan-search.js";
import { pendingRecords } from "./planning.js";

/**
 * The search node (plan search on, `planSearch.candidates` > 1), reached when the running plan
 * ended — every step succeeded, or one failed. It records the run's reward in the tree and
 * back-propagates it; after a failure it selects what runs next: an open plan of the tree (a
 * sibling candidate, adapted so that finished steps with the same tool and resolved args are
 * reused, never run again), a recovery child of a failed plan (the replanner writes it: bounded by
 * `maxReplans` and `planSearch.maxNodes`), or nothing — then the answer is written from what there
 * is, and the tree says what was tried. It calls no model.
 */
export function createSearchNode(deps: NodeDeps) {
  return function search(state: PlanExecuteStateType, config: LangGraphRunnableConfig): PlanExecuteUpdate {
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    if (!state.planSearch) throw new Error("the search node runs only with a plan search tree in state");
    let tree = state.planSearch;
    // A recovery the replanner could not write (no steps, or no valid plan): not asked for again.
    if (tree.expanding !== null) tree = markNoRecovery(tree, tree.expanding);
    const ended = finishRunning(state, tree);
    tree = ended.tree;
    if (ended.outcome === "succeeded") {
      emit({ type: "search_step", ...ended.event, next: null, reused: {}, ended: null });
      return { planSearch: tree };
    }
    const canExpand =
      state.replans < settings.maxReplans && planNodeCount(tree) < settings.planSearch.maxNodes;
    const next = selectNext(tree, { canExpand, exploration: settings.planSearch.exploration });
    if (!next) {
      const why = exhausted(tree, state, settings);
      emit({ type: "search_step", ...ended.event, next: null, reused: {}, ended: why });
      return { planSearch: { ...tree, ended: why } };
    }
    if (next.kind === "expand") {
      emit({ type: "search_step", ...ended.event, next, reused: {}, ended: null });
      return { ...expandOther(state, tree, next.node), planSearch: { ...tree, expanding: next.node } };
    }
    const switched = switchTo(state, tree, next.node);
    emit({ type: "search_step", ...ended.event, next, reused: switched.reused, ended: null });
    emit({ type: "plan_created", version: state.planVersion + 1, steps: switched.plan, replan: true });
    return switched.update;
  };
}

/** Ends the running node, if one runs, with the reward its plan earned; back-propagates it. */
function finishRunning(state: PlanExecuteStateType, tree: SearchTree) {
  const node = nodeById(tree, tree.current);
  if (!node || node.status !== "running") {
    return { tree, outcome: null, event: { node: null, outcome: null, reward: null } };
  }
  const status = (id: string) => stepRecordOf(state.steps, id)?.status ?? "pending";
  const done = state.plan.filter((s) => status(s.id) === "succeeded").length;
  const succeeded = state.plan.length > 0 && done === state.plan.length;
  const reward = runReward(succeeded, done, state.plan.length);
  const failed = state.plan.filter((s) => ["failed", "rejected"].includes(status(s.id)));
  const note = succeeded
    ? null
    : `failed at ${failed.map((s) => `${s.id} (${stepRecordOf(state.steps, s.id)?.error ?? status(s.id)})`).join(", ") || "an unfinished step"}`;
  const outcome = succeeded ? ("succeeded" as const) : ("failed" as const);
  return {
    tree: finishNode(tree, node.id, outcome, reward, note?.slice(0, 500) ?? null),
    outcome,
    event: { node: node.id, outcome, reward },
  };
}

function markNoRecovery(tree: SearchTree, id: string): SearchTree {
  return {
    ...tree,
    expanding: null,
    nodes: tree.nodes.map((n) =>
      n.id === id ? { ...n, noRecovery: true, note: `${n.note ?? "failed"}; no recovery plan was found` } : n,
    ),
  };
}

/**
 * Installs the open node `id` as the plan: its steps adapted to what finished (reused steps keep
 * their records and are not run; ids taken by earlier plans are renamed), the old plan's unfinished
 * steps skipped.
 */
function switchTo(state: PlanExecuteStateType, tree: SearchTree, id: string) {
  const target = nodeById(tree, id);
  if (!target) throw new Error(`plan search: no node ${id}`);
  const finished = finishedSteps(state, tree);
  const outputs = new Map(finished.map((s) => [s.id, stepRecordOf(state.steps, s.id)?.output]));
  // A step a person edited ran with the edited args: those are what a candidate's step must equal.
  const ran = finished.map((s) => {
    const approval = stepRecordOf(state.steps, s.id)?.approval;
    return approval?.status === "edited" ? { ...s, args: approval.args } : s;
  });
  const adapted = adaptPlan(target.plan, ran, outputs, new Set(Object.keys(state.steps)), id);
  const reusedIds = [...new Set(Object.values(adapted.reused))];
  const reusedSteps = reusedIds.flatMap((r) => finished.filter((f) => f.id === r));
  const plan = [...reusedSteps, ...adapted.steps];
  const version = state.planVersion + 1;
  const skipped = state.plan
    .filter((s) => (stepRecordOf(state.steps, s.id)?.status ?? "pending") === "pending")
    .map((s): [string, Partial<StepRecord> & { id: string }] => [
      s.id,
      { id: s.id, status: "skipped", error: `dropped: the plan search moved to ${id}` },
    ]);
  const reusedNote = reusedIds.length ? `reused ${reusedIds.join(", ")}` : null;
  const started = startNode(tree, id, version);
  const next: SearchTree = {
    ...started,
    nodes: started.nodes.map((n) =>
      n.id === id ? { ...n, plan, note: [n.note, reusedNote].filter(Boolean).join("; ") || null } : n,
    ),
  };
  const update: PlanExecuteUpdate = {
    plan,
    steps: idRecord([...skipped, ...Object.entries(pendingRecords(adapted.steps))]),
    planVersion: version,
    planSearch: next,
  };
  return { plan, reused: adapted.reused, update };
}

/**
 * The replanner writes a recovery plan for the plan in state: to expand another failed node than
 * the one that just ran, its plan (as it ran: its finished and failed step records are still in
 * state) becomes the plan again, and the unfinished steps of the current one are skipped.
 */
function expandOther(state: PlanExecuteStateType, tree: SearchTree, id: string): PlanExecuteUpdate {
  const target = nodeById(tree, id);
  if (!target || id === tree.current) return {};
  const keep = new Set(target.plan.map((s) => s.id));
  const skipped = state.plan
    .filter((s) => !keep.has(s.id) && (stepRecordOf(state.steps, s.id)?.status ?? "pending") === "pending")
    .map((s): [string, Partial<StepRecord> & { id: string }] => [
      s.id,
      { id: s.id, status: "skipped", error: `dropped: the plan search went back to ${id}` },
    ]);
  return { plan: target.plan, ...(skipped.length ? { steps: idRecord(skipped) } : {}) };
}

/** Every step that succeeded in this run, from the current plan and every plan of the tree. */
function finishedSteps(state: PlanExecuteStateType, tree: SearchTree): PlanStep[] {
  const byId = new Map<string, PlanStep>();
  for (const s of [...tree.nodes.flatMap((n) => n.plan), ...state.plan]) {
    if (stepRecordOf(state.steps, s.id)?.status === "succeeded") byId.set(s.id, s);
  }
  return [...byId.values()];
}

/** Why nothing more can run, naming every plan that was tried and how it ended. */
function exhausted(tree: SearchTree, state: PlanExecuteStateType, settings: Settings): string {
  const tried = tree.nodes
    .filter((n) => n.kind !== "root" && n.visits > 0)
    .map((n) => `${n.id} (${n.plan.map((s) => s.tool).join(" → ")}): ${n.note ?? n.status}`);
  const bound =
    state.replans >= settings.maxReplans
      ? `maxReplans (${settings.maxReplans}) reached`
      : planNodeCount(tree) >= settings.planSearch.maxNodes
        ? `the node cap (planSearch.maxNodes ${settings.planSearch.maxNodes}) reached`
        : "no recovery plan was found";
  return `the plan search is exhausted (${bound}; no candidate left). Tried: ${tried.join("; ")}`;
}

/**
 * For the replanner: when the search asked for a recovery plan of a failed node, the new plan
 * (finished steps and the new ones) becomes that node's recovery child and runs.
 */
export function recoveryChild(
  state: PlanExecuteStateType,
  plan: PlanStep[],
  version: number,
  deps: NodeDeps,
  settings: Settings,
): Pick<PlanExecuteUpdate, "planSearch"> {
  const tree = state.planSearch;
  if (!tree || tree.expanding === null) return {};
  const added = addRecovery(tree, tree.expanding, plan, featuresOf(plan, deps.tools, settings.maxSteps));
  return { planSearch: startNode(added.tree, added.id, version) };
}
