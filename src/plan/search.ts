/**
 * Plan search (LATS-style) over plain data: the tree of candidate and recovery plans, the
 * deterministic value features, the combination with a judge's score, UCT and best-first
 * selection, back-propagation, duplicate detection and the adaptation of a sibling plan to the
 * steps that already finished. No LangGraph import: the nodes call these and keep the tree in state.
 *
 * The tree: the root stands for the goal; its children are the planner's candidate plans; below a
 * plan that failed are the recovery plans the replanner wrote for it. A node's value is the mean
 * reward of the runs in its subtree (`valueSum / visits`); before it ran, its `prior` (judge and
 * features combined) stands in for it.
 */
import { z } from "zod";
import { criticalPath } from "./dag.js";
import { stableJson } from "./digest.js";
import { STEP_ID_PATTERN, STEP_ID_SOURCE, RESERVED_STEP_IDS, MAX_STEP_ID_LENGTH } from "./ids.js";
import { PlanStepSchema, type PlanStep } from "./schema.js";
import { resolveReferences } from "./template.js";

/** A plan step as the tree stores it (the decoded {@link PlanStep}). */
export const SearchStepSchema = PlanStepSchema;

export const PlanFeaturesSchema = z.object({
  steps: z.number().int(),
  /** Steps on the longest dependency chain (1 for a plan whose steps all run in parallel). */
  depth: z.number().int(),
  highRisk: z.number().int(),
  /** A rough estimate of the tokens the plan's model-writing steps and its text will cost. */
  estimatedTokens: z.number().int(),
  /** The features as one score, 0–1 (see {@link featureScore}). */
  score: z.number(),
});
export type PlanFeatures = z.output<typeof PlanFeaturesSchema>;

export const SEARCH_NODE_STATUSES = ["open", "running", "succeeded", "failed"] as const;

export const SearchNodeSchema = z.object({
  /** `n0` is the root; `n1`, `n2`, … in the order nodes were added. */
  id: z.string(),
  parent: z.string().nullable(),
  kind: z.enum(["root", "candidate", "recovery"]),
  /** The plan as proposed (a candidate) or as it ran (a recovery plan, finished steps included). */
  plan: z.array(SearchStepSchema),
  features: PlanFeaturesSchema.nullable(),
  /** The value judge's score, 0–1; null when there was no readable one (the features decided). */
  judge: z.number().nullable(),
  judgeReason: z.string().nullable(),
  /** The value estimate before the node ran: judge and features combined. */
  prior: z.number(),
  visits: z.number().int(),
  valueSum: z.number(),
  status: z.enum(SEARCH_NODE_STATUSES),
  /** The plan version it ran as, once it ran. */
  planVersion: z.number().int().nullable(),
  /** Set when the replanner found no recovery for this node (it is not expanded again). */
  noRecovery: z.boolean(),
  /** How it ended, what it reused, or why it was merged. */
  note: z.string().nullable(),
});
export type SearchNode = z.output<typeof SearchNodeSchema>;

export const SEARCH_SELECTIONS = ["uct", "best_first"] as const;
export type SearchSelection = (typeof SEARCH_SELECTIONS)[number];

export const SearchTreeSchema = z.object({
  selection: z.enum(SEARCH_SELECTIONS),
  nodes: z.array(SearchNodeSchema),
  /** The node whose plan runs now (null before the first plan). */
  current: z.string().nullable(),
  /** The failed node the replanner is writing a recovery plan for, if any. */
  expanding: z.string().nullable(),
  /** Why the search stopped without a plan that succeeded, naming what was tried. */
  ended: z.string().nullable(),
});
export type SearchTree = z.output<typeof SearchTreeSchema>;

/** Weights of the value function: the judge's score and the deterministic features. */
export const JUDGE_WEIGHT = 0.7;

/** A tool's risk tier, for the HIGH-risk feature. */
export type RiskOf = (tool: string) => "LOW" | "MEDIUM" | "HIGH";

/** Tokens a model-writing step is assumed to cost on top of its text (a rough, stated guess). */
const MODEL_STEP_TOKENS = 400;

/**
 * Deterministic features of a plan: its size, its longest dependency chain, its HIGH-risk steps
 * and an estimate of its tokens (plan text at 4 characters a token, plus {@link MODEL_STEP_TOKENS}
 * per step whose tool writes with a model), with their combined {@link featureScore}.
 */
export function planFeatures(
  plan: readonly PlanStep[],
  opts: { riskOf: RiskOf; writesWithModel?: (tool: string) => boolean; maxSteps: number },
): PlanFeatures {
  const depth = criticalPath(plan, () => 1);
  const highRisk = plan.filter((s) => opts.riskOf(s.tool) === "HIGH").length;
  const modelSteps = plan.filter((s) => opts.writesWithModel?.(s.tool) ?? false).length;
  const estimatedTokens = Math.ceil(JSON.stringify(plan).length / 4) + modelSteps * MODEL_STEP_TOKENS;
  const base = { steps: plan.length, depth, highRisk, estimatedTokens };
  return { ...base, score: featureScore(base, opts.maxSteps) };
}

/**
 * The features as a score in 0–1, higher is better: fewer steps (30%), a shorter dependency chain
 * for its size, i.e. more parallel (20%), no HIGH-risk steps (30%), fewer estimated tokens (20%).
 */
export function featureScore(
  f: Pick<PlanFeatures, "steps" | "depth" | "highRisk" | "estimatedTokens">,
  maxSteps: number,
): number {
  const size = maxSteps > 1 ? Math.min(1, Math.max(0, f.steps - 1) / (maxSteps - 1)) : 0;
  const chain = f.steps > 1 ? (f.depth - 1) / (f.steps - 1) : 0;
  const risk = Math.min(1, f.highRisk / 2);
  const cost = Math.min(1, f.estimatedTokens / 4_000);
  return round(clamp01(1 - (0.3 * size + 0.2 * chain + 0.3 * risk + 0.2 * cost)));
}

/** The value estimate of a plan: the judge's score weighted with the features, or the features alone. */
export function combineValue(judge: number | null, features: number): number {
  if (judge === null) return round(features);
  return round(JUDGE_WEIGHT * judge + (1 - JUDGE_WEIGHT) * features);
}

/**
 * The reward of a finished run of a plan: 1 when it succeeded; for a failure, half the share of its
 * steps that succeeded (so a failed plan never scores above 0.5, and one that got further scores more).
 */
export function runReward(succeeded: boolean, finishedSteps: number, totalSteps: number): number {
  if (succeeded) return 1;
  return round(totalSteps > 0 ? (0.5 * finishedSteps) / totalSteps : 0);
}

/**
 * A fingerprint of what a plan does, independent of step ids, descriptions and order: each step is
 * its tool and args, with references replaced by the fingerprint of the step they point to.
 * Two candidates with the same fingerprint are duplicates.
 */
export function planKey(plan: readonly PlanStep[]): string {
  const byId = new Map(plan.map((s) => [s.id, s]));
  const memo = new Map<string, string>();
  const keyOf = (id: string, seen: Set<string>): string => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (!step || seen.has(id)) return `?${id}`;
    const inner = new Set(seen).add(id);
    const args = renameReferences(step.args, (ref) => `#${keyOf(ref, inner)}#`);
    const deps = step.depends_on.map((d) => keyOf(d, inner)).sort();
    const key = stableJson({ tool: step.tool, args, deps });
    memo.set(id, key);
    return key;
  };
  return stableJson(plan.map((s) => keyOf(s.id, new Set())).sort());
}

/** Drops candidates that repeat an earlier one; `mergedInto[i]` is the index kept for candidate i. */
export function dedupeCandidates<T extends { plan: readonly PlanStep[] }>(
  candidates: readonly T[],
): { unique: T[]; mergedInto: number[] } {
  const seen = new Map<string, number>();
  const unique: T[] = [];
  const mergedInto: number[] = [];
  for (const c of candidates) {
    const key = planKey(c.plan);
    const at = seen.get(key);
    if (at !== undefined) {
      mergedInto.push(at);
      continue;
    }
    seen.set(key, unique.length);
    mergedInto.push(unique.length);
    unique.push(c);
  }
  return { unique, mergedInto };
}

export interface ScoredCandidate {
  plan: PlanStep[];
  features: PlanFeatures;
  judge: number | null;
  judgeReason: string | null;
  note?: string | null;
}

/** A new tree with the candidates under the root, each valued by {@link combineValue}. Nothing runs yet. */
export function createTree(selection: SearchSelection, candidates: readonly ScoredCandidate[]): SearchTree {
  const root: SearchNode = node("n0", null, "root", [], null, null, null, 0, null);
  const children = candidates.map((c, i) =>
    node(
      `n${i + 1}`,
      "n0",
      "candidate",
      c.plan,
      c.features,
      c.judge,
      c.judgeReason,
      combineValue(c.judge, c.features.score),
      c.note ?? null,
    ),
  );
  return { selection, nodes: [root, ...children], current: null, expanding: null, ended: null };
}

/** Adds a recovery plan under `parent` and returns the tree and the new node's id. */
export function addRecovery(
  tree: SearchTree,
  parent: string,
  plan: PlanStep[],
  features: PlanFeatures,
): { tree: SearchTree; id: string } {
  const id = `n${tree.nodes.length}`;
  const child = node(id, parent, "recovery", plan, features, null, null, combineValue(null, features.score));
  return { tree: { ...tree, nodes: [...tree.nodes, child] }, id };
}

/** Plan nodes in the tree (the root not counted): what the node cap bounds. */
export function planNodeCount(tree: SearchTree): number {
  return tree.nodes.length - 1;
}

export function nodeById(tree: SearchTree, id: string | null): SearchNode | undefined {
  return id === null ? undefined : tree.nodes.find((n) => n.id === id);
}

/** Marks `id` as the running node (the one before it, if still running, goes back to open). */
export function startNode(tree: SearchTree, id: string, planVersion: number): SearchTree {
  return {
    ...tree,
    current: id,
    expanding: null,
    nodes: tree.nodes.map((n) => {
      if (n.id === id) return { ...n, status: "running" as const, planVersion };
      if (n.id === tree.current && n.status === "running") return { ...n, status: "open" as const };
      return n;
    }),
  };
}

/**
 * Ends the run of node `id` with `reward` and back-propagates: the node and every ancestor get one
 * more visit and the reward added to their value sum.
 */
export function finishNode(
  tree: SearchTree,
  id: string,
  outcome: "succeeded" | "failed",
  reward: number,
  note: string | null,
): SearchTree {
  const chain = new Set(ancestry(tree, id));
  return {
    ...tree,
    nodes: tree.nodes.map((n) => {
      if (!chain.has(n.id)) return n;
      const visited = { ...n, visits: n.visits + 1, valueSum: round(n.valueSum + reward) };
      const notes = [n.note, note].filter((x): x is string => Boolean(x)).join("; ") || null;
      return n.id === id ? { ...visited, status: outcome, note: notes } : visited;
    }),
  };
}

/** The node and its ancestors up to the root. */
export function ancestry(tree: SearchTree, id: string): string[] {
  const out: string[] = [];
  let at = nodeById(tree, id);
  while (at) {
    out.push(at.id);
    at = nodeById(tree, at.parent);
  }
  return out;
}

/** A node's value: its mean reward once it ran, else its prior. */
export function valueOf(n: SearchNode): number {
  return n.visits > 0 ? n.valueSum / n.visits : n.prior;
}

export type Selection = { kind: "run"; node: string } | { kind: "expand"; node: string };

export interface SelectOptions {
  /** Whether a failed plan may get a recovery child (replans left, node cap not reached). */
  canExpand: boolean;
  /** UCT's exploration constant. */
  exploration: number;
}

/**
 * What runs next: an open plan (a sibling candidate, or a recovery plan not yet run) or a new
 * recovery child of a failed plan (`expand`, which asks the replanner). Null when nothing is left.
 *
 * - `best_first`: the frontier entry with the highest value — an open node's prior, or a failed
 *   node's mean reward for expanding it.
 * - `uct`: from the root down, the child (or, at a failed node, expanding it) with the highest
 *   `value + c·sqrt(ln(N + 1) / (n + 1))`, N the parent's visits and n the child's.
 */
export function selectNext(tree: SearchTree, opts: SelectOptions): Selection | null {
  return tree.selection === "best_first" ? bestFirst(tree, opts) : uct(tree, opts);
}

function expandable(n: SearchNode, opts: SelectOptions): boolean {
  return opts.canExpand && n.status === "failed" && !n.noRecovery;
}

function childrenOf(tree: SearchTree, id: string): SearchNode[] {
  return tree.nodes.filter((n) => n.parent === id);
}

function bestFirst(tree: SearchTree, opts: SelectOptions): Selection | null {
  let best: { score: number; pick: Selection } | null = null;
  for (const n of tree.nodes) {
    const pick: Selection | null =
      n.status === "open" && n.kind !== "root"
        ? { kind: "run", node: n.id }
        : expandable(n, opts)
          ? { kind: "expand", node: n.id }
          : null;
    if (!pick) continue;
    const score = valueOf(n);
    if (!best || score > best.score) best = { score, pick };
  }
  return best?.pick ?? null;
}

/** Whether anything under (or at) `n` can still be selected. */
function selectable(tree: SearchTree, n: SearchNode, opts: SelectOptions): boolean {
  if (n.status === "open" && n.kind !== "root") return true;
  if (expandable(n, opts)) return true;
  return childrenOf(tree, n.id).some((c) => selectable(tree, c, opts));
}

function uct(tree: SearchTree, opts: SelectOptions): Selection | null {
  let at = nodeById(tree, "n0");
  while (at) {
    if (at.status === "open" && at.kind !== "root") return { kind: "run", node: at.id };
    const parentVisits = at.visits;
    const bonus = (visits: number) => opts.exploration * Math.sqrt(Math.log(parentVisits + 1) / (visits + 1));
    const options: { score: number; next: SearchNode | "expand" }[] = childrenOf(tree, at.id)
      .filter((c) => selectable(tree, c, opts))
      .map((c) => ({ score: valueOf(c) + bonus(c.visits), next: c }));
    if (expandable(at, opts)) {
      const recoveries = childrenOf(tree, at.id).length;
      options.push({ score: valueOf(at) + bonus(recoveries), next: "expand" });
    }
    let best: (typeof options)[number] | undefined;
    for (const o of options) if (!best || o.score > best.score) best = o;
    if (!best) return null;
    if (best.next === "expand") return { kind: "expand", node: at.id };
    at = best.next;
  }
  return null;
}

export interface FinishedStep {
  id: string;
  tool: string;
  /** The args as planned (references unresolved). */
  args: Record<string, unknown>;
}

export interface AdaptedPlan {
  /** The steps to add (ids that clash with `takenIds` renamed, references rewritten). */
  steps: PlanStep[];
  /** Candidate step id → the finished step reused in its place. */
  reused: Record<string, string>;
  /** Candidate step id → its new id. */
  renamed: Record<string, string>;
}

/**
 * Adapts a sibling candidate to what already finished: a step whose tool and *resolved* args equal
 * those of a finished step is not run again — the finished step stands in for it (its dependents
 * reference the finished step). The other steps keep their ids unless the id is taken by a step
 * of an earlier plan (`takenIds`), in which case they get a fresh one (`<id>_<suffix>`).
 */
export function adaptPlan(
  plan: readonly PlanStep[],
  finished: readonly FinishedStep[],
  outputs: ReadonlyMap<string, unknown>,
  takenIds: ReadonlySet<string>,
  suffix: string,
): AdaptedPlan {
  const resolvedOf = (args: unknown): string | null => {
    try {
      return stableJson(resolveReferences(args, outputs));
    } catch {
      return null;
    }
  };
  const finishedKeys = finished.flatMap((f) => {
    const resolved = outputs.has(f.id) ? resolvedOf(f.args) : null;
    return resolved === null ? [] : [{ id: f.id, key: `${f.tool}\u0000${resolved}` }];
  });
  const reused: Record<string, string> = {};
  for (const step of topological(plan)) {
    if (!step.depends_on.every((d) => d in reused)) continue;
    const args = renameReferences(step.args, (ref) => reused[ref] ?? ref);
    const resolved = resolvedOf(args);
    if (resolved === null) continue;
    const match = finishedKeys.find((f) => f.key === `${step.tool}\u0000${resolved}`);
    if (match) reused[step.id] = match.id;
  }
  const used = new Set([...takenIds, ...plan.map((s) => s.id)]);
  const renamed: Record<string, string> = {};
  for (const step of plan) {
    if (step.id in reused || !takenIds.has(step.id)) continue;
    const id = freshId(step.id, suffix, used);
    used.add(id);
    renamed[step.id] = id;
  }
  const mapId = (id: string) => reused[id] ?? renamed[id] ?? id;
  const steps = plan
    .filter((s) => !(s.id in reused))
    .map((s) => ({
      ...s,
      id: mapId(s.id),
      args: renameReferences(s.args, mapId),
      depends_on: [...new Set(s.depends_on.map(mapId))],
    }));
  return { steps, reused, renamed };
}

/** Steps in an order where each comes after its dependencies (unknown dependencies ignored). */
function topological(plan: readonly PlanStep[]): PlanStep[] {
  const byId = new Map(plan.map((s) => [s.id, s]));
  const out: PlanStep[] = [];
  const seen = new Set<string>();
  const visit = (s: PlanStep) => {
    if (seen.has(s.id)) return;
    seen.add(s.id);
    for (const d of s.depends_on) {
      const dep = byId.get(d);
      if (dep) visit(dep);
    }
    out.push(s);
  };
  plan.forEach(visit);
  return out;
}

function freshId(id: string, suffix: string, used: ReadonlySet<string>): string {
  const base = `${id.slice(0, MAX_STEP_ID_LENGTH - suffix.length - 4)}_${suffix}`;
  for (let k = 0; ; k++) {
    const candidate = k === 0 ? base : `${base}${k}`;
    if (!used.has(candidate) && !RESERVED_STEP_IDS.has(candidate) && STEP_ID_PATTERN.test(candidate))
      return candidate;
  }
}

const REFERENCE_ID = new RegExp(String.raw`(\{\{\s*)(${STEP_ID_SOURCE})(\.output)`, "g");

/** The value with every `{{id.output…}}` reference's id replaced by `rename(id)`. */
export function renameReferences<T>(value: T, rename: (id: string) => string): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string")
      return v.replace(
        REFERENCE_ID,
        (_m, open: string, id: string, rest: string) => `${open}${rename(id)}${rest}`,
      );
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object")
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** One line per plan node, indented by depth: for `show`, events and the exhausted-search answer. */
export function describeTree(tree: SearchTree): string[] {
  const lines: string[] = [];
  const walk = (id: string, depth: number) => {
    for (const n of childrenOf(tree, id)) {
      const tools = n.plan.map((s) => s.tool).join(" → ") || "(no steps)";
      const judge = n.judge === null ? "judge —" : `judge ${n.judge.toFixed(2)}`;
      const mean = n.visits > 0 ? ` mean ${(n.valueSum / n.visits).toFixed(2)}` : "";
      const mark = tree.current === n.id ? "*" : " ";
      lines.push(
        `${"  ".repeat(depth)}${mark}${n.id} ${n.kind} ${n.status} value ${n.prior.toFixed(2)} (${judge}, ` +
          `features ${n.features?.score.toFixed(2) ?? "—"}) visits ${n.visits}${mean}: ${tools}` +
          (n.note ? ` — ${n.note}` : ""),
      );
      walk(n.id, depth + 1);
    }
  };
  walk("n0", 0);
  return lines;
}

function node(
  id: string,
  parent: string | null,
  kind: SearchNode["kind"],
  plan: PlanStep[],
  features: PlanFeatures | null,
  judge: number | null,
  judgeReason: string | null,
  prior: number,
  note: string | null = null,
): SearchNode {
  return {
    id,
    parent,
    kind,
    plan,
    features,
    judge,
    judgeReason,
    prior,
    visits: 0,
    valueSum: 0,
    status: kind === "root" ? "running" : "open",
    planVersion: null,
    noRecovery: false,
    note,
  };
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}

function round(x: number): number {
  return Math.round(x * 1_000) / 1_000;
}
