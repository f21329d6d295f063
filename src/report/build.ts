import type { ApprovalRequest } from "../core/decisions.js";
import type { PlanExecuteStateType, RoleUsage, StepRecord } from "../core/state.js";
import { estimateCost, type Price } from "../core/budget.js";
import { MODEL_ROLES } from "../core/roles.js";
import type { PlanStep } from "../plan/schema.js";
import { dependencyDepths } from "../plan/dag.js";
import type { SearchTree } from "../plan/search.js";
import {
  readThread,
  threadHistory,
  type HistoryEntry,
  type ThreadGraph,
  type ThreadView,
} from "../agent/threads.js";
import {
  OUTPUT_PREVIEW_CHARS,
  type ReportAttempt,
  type ReportMarker,
  type ReportPhase,
  type ReportPlanVersion,
  type ReportSearch,
  type ReportSearchNode,
  type ReportStep,
  type ReportTokens,
  type ReportUsage,
  type ReportWait,
  type RunReport,
} from "./model.js";

interface Point {
  entry: HistoryEntry;
  view: ThreadView;
  at: number;
}

/**
 * A report of a thread's latest run, read only through the thread API (`readThread`,
 * `threadHistory`): any checkpointer (SQLite, PostgreSQL, memory), a finished run or one that
 * waits. Throws `ThreadNotFoundError` for an unknown thread.
 */
export async function buildRunReport(graph: ThreadGraph, threadId: string): Promise<RunReport> {
  const latest = await readThread(graph, threadId);
  const { entries, forkedFrom } = await threadHistory(graph, threadId);
  const points = await runPoints(graph, threadId, latest, entries);
  const state = latest.state;

  const versions = planVersions(points, state);
  const steps = reportSteps(points, state, versions);
  const waits = [...stepWaits(points, state), ...gateWaits(points), ...stopWaits(points)];
  const markers = reportMarkers(points, versions, waits);
  const phases = reportPhases(points);
  const answer = citations(state.finalAnswer ?? null, steps);
  for (const step of steps) step.cited = answer.citations.includes(step.id);

  const times = [
    ...points.map((p) => p.at),
    ...steps.flatMap((s) => [s.startedAt, s.finishedAt]),
    ...waits.flatMap((w) => [w.from, w.to]),
  ].filter((t): t is number => typeof t === "number" && Number.isFinite(t));
  const runStart = points[0]?.at ?? null;
  return {
    format: 1,
    threadId,
    runId: state.runId ?? null,
    goal: state.goal ?? "",
    status: latest.status,
    generatedAt: Date.now(),
    startedAt: runStart ?? (times.length ? Math.min(...times) : null),
    endedAt: times.length ? Math.max(...times) : null,
    activeMs: state.activeMs ?? 0,
    forkedFrom: forkedFrom ?? null,
    checkpoints: points.length,
    noPlan: versions.length === 0 ? noPlanReason(latest) : null,
    validationErrors: state.validationErrors ?? [],
    planVersions: versions,
    steps,
    waits,
    markers,
    phases,
    usage: usageOf(state),
    audit: state.audit ?? [],
    answer,
    error: state.error ?? null,
    search: searchOf(state.planSearch ?? null),
    pending: latest.pending.map((r) => ({ type: r.type, summary: describeStop(r) })),
  };
}

/**
 * The checkpoints of the latest run, oldest first: those carrying its run id, plus the input
 * checkpoint right before them (when the run started). Read newest first, stopping at the run's
 * start, so a thread with many earlier runs costs no more than its latest one.
 */
async function runPoints(
  graph: ThreadGraph,
  threadId: string,
  latest: ThreadView,
  newestFirst: HistoryEntry[],
): Promise<Point[]> {
  const runId = latest.state.runId ?? null;
  const points: Point[] = [];
  for (const entry of newestFirst) {
    const view = await readThread(graph, threadId, entry.checkpointId);
    const at = entry.createdAt ? Date.parse(entry.createdAt) : NaN;
    const point = { entry, view, at: Number.isFinite(at) ? at : 0 };
    if (runId === null || view.state.runId === runId) {
      points.push(point);
      continue;
    }
    // An older run: its last checkpoint is the input that started this run, if it is one.
    if (entry.source === "input" && points.length > 0) points.push(point);
    if (points.length > 0) break;
  }
  return points.reverse();
}

function planVersions(points: Point[], state: PlanExecuteStateType): ReportPlanVersion[] {
  const versions: ReportPlanVersion[] = [];
  const seen = new Map<number, ReportPlanVersion>();
  let replans = 0;
  let previous: ReportPlanVersion | undefined;
  const snapshots = [...points.map((p) => ({ state: p.view.state, at: p.at as number | null }))];
  if (snapshots.length === 0) snapshots.push({ state, at: null });
  for (const { state: s, at } of snapshots) {
    const version = s.planVersion ?? 0;
    const plan = s.plan ?? [];
    if (version <= 0 || plan.length === 0) {
      replans = s.replans ?? replans;
      continue;
    }
    const ids = plan.map((p) => p.id);
    const known = seen.get(version);
    if (known) {
      known.steps = ids;
    } else {
      const isReplan = (s.replans ?? 0) > replans;
      const cause = isReplan
        ? "replan"
        : s.planReview?.version === version && s.planReview.decision === "edited"
          ? "edited"
          : previous
            ? "new_plan"
            : "initial";
      const prevIds = previous?.steps ?? [];
      const failed = prevIds.filter((id) => ["failed", "rejected"].includes(s.steps?.[id]?.status ?? ""));
      const v: ReportPlanVersion = {
        version,
        at,
        cause,
        replan: isReplan ? (s.replans ?? null) : null,
        steps: ids,
        failed,
        kept: ids.filter((id) => prevIds.includes(id)),
        added: ids.filter((id) => !prevIds.includes(id)),
        dropped: prevIds.filter((id) => !ids.includes(id)),
      };
      seen.set(version, v);
      versions.push(v);
      previous = v;
    }
    replans = s.replans ?? replans;
  }
  // Kept and dropped are worked out against the final step list of the previous version.
  for (let i = 1; i < versions.length; i++) {
    const prev = versions[i - 1] as ReportPlanVersion;
    const v = versions[i] as ReportPlanVersion;
    v.kept = v.steps.filter((id) => prev.steps.includes(id));
    v.added = v.steps.filter((id) => !prev.steps.includes(id));
    v.dropped = prev.steps.filter((id) => !v.steps.includes(id));
  }
  return versions;
}

function reportSteps(
  points: Point[],
  state: PlanExecuteStateType,
  versions: ReportPlanVersion[],
): ReportStep[] {
  // Each step's definition from the latest plan that had it.
  const defs = new Map<string, PlanStep>();
  for (const p of points) for (const step of p.view.state.plan ?? []) defs.set(step.id, step);
  for (const step of state.plan ?? []) defs.set(step.id, step);
  const order = [...new Set([...versions.flatMap((v) => v.steps), ...defs.keys()])];
  const requested = approvalRequests(points);
  const prices = pricesOf(state);
  const depths = new Map<string, number>();
  for (const v of versions) {
    const inVersion = v.steps.map((id) => defs.get(id)).filter((s): s is PlanStep => Boolean(s));
    for (const [id, depth] of dependencyDepths(inVersion)) depths.set(id, depth);
  }
  return order.map((id) => {
    const def = defs.get(id) as PlanStep;
    const record = state.steps?.[id];
    const inVersions = versions.filter((v) => v.steps.includes(id)).map((v) => v.version);
    const last = inVersions.at(-1);
    const dropped = last === undefined ? undefined : versions.find((v) => v.version > last);
    const output = previewOf(record?.output);
    const approval = record?.approval ?? null;
    return {
      id,
      description: def.description,
      tool: def.tool,
      args: def.args,
      dependsOn: def.depends_on,
      expectedOutput: def.expected_output,
      status:
        record?.status === "pending" && approval?.status === "waiting"
          ? "waiting"
          : (record?.status ?? "pending"),
      error: record?.error ?? null,
      output: output.text,
      outputTruncated: output.truncated,
      attempts: record?.attempts ?? 0,
      startedAt: record?.startedAt ?? null,
      finishedAt: record?.finishedAt ?? null,
      attemptLog: attemptsOf(record),
      evaluation: record?.evaluation ?? null,
      approval: approval
        ? {
            status: approval.status,
            risk: approval.risk,
            reason: approval.reason,
            requestedAt: requested.get(id) ?? null,
            decidedAt: approval.decidedAt,
            args: approval.args,
          }
        : null,
      versions: inVersions,
      droppedIn: dropped?.version ?? null,
      depth: depths.get(id) ?? 0,
      usage: record?.usage ? tokensOf(record.usage, prices) : null,
      cited: false,
    } satisfies ReportStep;
  });
}

function attemptsOf(record: StepRecord | undefined): ReportAttempt[] {
  if (!record) return [];
  if (record.attemptLog && record.attemptLog.length > 0)
    return record.attemptLog.map((a) => ({ ...a, approximate: false }));
  // A thread written before attempts were timed: one bar from start to end.
  if (record.startedAt === null || record.finishedAt === null || record.attempts === 0) return [];
  return [
    {
      attempt: record.attempts,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      error: record.status === "failed" ? record.error : null,
      approximate: true,
    },
  ];
}

function previewOf(output: unknown): { text: string | null; truncated: boolean } {
  if (output === undefined || output === null) return { text: null, truncated: false };
  let text: string;
  if (typeof output === "string") text = output;
  else {
    try {
      text = JSON.stringify(output, null, 2) ?? String(output);
    } catch {
      text = String(output);
    }
  }
  return text.length > OUTPUT_PREVIEW_CHARS
    ? { text: text.slice(0, OUTPUT_PREVIEW_CHARS), truncated: true }
    : { text, truncated: false };
}

/** When each step's approval first became "waiting": the checkpoint that shows it. */
function approvalRequests(points: Point[]): Map<string, number> {
  const at = new Map<string, number>();
  const wasWaiting = new Set<string>();
  for (const p of points) {
    for (const [id, record] of Object.entries(p.view.state.steps ?? {})) {
      const waiting = record.approval?.status === "waiting";
      if (waiting && !wasWaiting.has(id)) at.set(id, p.at);
      if (waiting) wasWaiting.add(id);
      else wasWaiting.delete(id);
    }
  }
  return at;
}

/** Waits for a step's approval: from the checkpoint where it became "waiting" to `decidedAt`. */
function stepWaits(points: Point[], state: PlanExecuteStateType): ReportWait[] {
  const waits: ReportWait[] = [];
  const open = new Map<string, ReportWait>();
  const close = (id: string, decidedAt: number | null, outcome: string) => {
    const w = open.get(id);
    if (!w) return;
    w.to = decidedAt ?? w.from;
    w.outcome = outcome;
    w.label = `waited for approval ${outcome === "waiting" ? "" : `(${outcome})`}`.trim();
    open.delete(id);
  };
  for (const p of points) {
    for (const [id, record] of Object.entries(p.view.state.steps ?? {})) {
      const approval = record.approval;
      if (approval?.status === "waiting" && !open.has(id)) {
        const w: ReportWait = {
          kind: "step_approval",
          stepId: id,
          from: p.at,
          to: null,
          outcome: null,
          label: "waiting for approval",
        };
        open.set(id, w);
        waits.push(w);
      } else if (approval && approval.status !== "waiting") {
        close(id, approval.decidedAt, approval.status);
      } else if (!approval && open.has(id)) {
        // The approval was cleared (e.g. the args changed): the wait ended there.
        close(id, p.at, "withdrawn");
      }
    }
  }
  // The latest state may be newer than the last history point read.
  for (const [id, record] of Object.entries(state.steps ?? {})) {
    const approval = record.approval;
    if (approval && approval.status !== "waiting") close(id, approval.decidedAt, approval.status);
  }
  return waits;
}

/**
 * Stops inside a step, drawn on its row: a low-confidence output waiting for review, and a
 * sub-agent's tool call waiting for approval (a step-level approval is read from its record, see
 * {@link stepWaits}). From the first checkpoint that shows the stop to the first that no longer does.
 */
function gateWaits(points: Point[]): ReportWait[] {
  const waits: ReportWait[] = [];
  const open = new Map<string, ReportWait>();
  for (const p of points) {
    const seen = new Set<string>();
    for (const request of p.view.pending) {
      if (request.type !== "low_confidence" && request.type !== "step_approval") continue;
      for (const s of request.steps) {
        const record = p.view.state.steps?.[s.stepId];
        if (request.type === "step_approval" && record?.approval?.status === "waiting") continue;
        const key = `${request.stop}:${s.stepId}`;
        seen.add(key);
        if (open.has(key)) continue;
        const w: ReportWait = {
          kind: request.type,
          stepId: s.stepId,
          from: p.at,
          to: null,
          outcome: null,
          label:
            request.type === "low_confidence"
              ? `waiting for review (confidence ${"confidence" in s ? s.confidence.toFixed(2) : "?"})`
              : `${s.description.replace(/^.* — /, "")}: waiting for approval`,
        };
        open.set(key, w);
        waits.push(w);
      }
    }
    for (const [key, w] of open) {
      if (seen.has(key)) continue;
      const record = p.view.state.steps?.[w.stepId ?? ""];
      w.to = p.at;
      w.outcome =
        w.kind === "low_confidence"
          ? (record?.confidenceGate?.status ?? "decided")
          : (record?.subAgentCalls?.at(-1)?.decision ?? "decided");
      w.label = `${w.label.replace(/waiting for (review|approval)/, "waited for $1")} (${w.outcome})`;
      open.delete(key);
    }
  }
  return waits;
}

/** Plan approval and budget stops: from the waiting checkpoint to the next checkpoint after the decision. */
function stopWaits(points: Point[]): ReportWait[] {
  const waits: ReportWait[] = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i] as Point;
    const request = p.view.pending.find((r) => r.type === "plan_approval" || r.type === "budget");
    if (!request) continue;
    // The same stop may show at several checkpoints (a refused answer asks again): one wait.
    let j = i;
    while (j + 1 < points.length && points[j + 1]?.view.pending.some((r) => r.stop === request.stop)) j++;
    const after = points[j + 1];
    const kind = request.type === "budget" ? "budget" : "plan_approval";
    waits.push({
      kind,
      stepId: null,
      from: p.at,
      to: after ? after.at : null,
      outcome: after ? stopOutcome(request, p.view.state, after.view.state) : null,
      label: describeStop(request),
    });
    i = j;
  }
  return waits;
}

function stopOutcome(request: ApprovalRequest, before: PlanExecuteStateType, after: PlanExecuteStateType) {
  if (request.type === "budget") {
    if (after.finishRequested) return "finish now";
    const raised = Object.entries(after.budgetRaises ?? {})
      .filter(([k, v]) => before.budgetRaises?.[k as keyof typeof before.budgetRaises] !== v)
      .map(([k, v]) => `${k}=${v}`);
    return raised.length ? `raised ${raised.join(", ")}` : "decided";
  }
  if (after.planReview?.decision) return after.planReview.decision;
  if (after.planFeedback) return "rejected";
  return "decided";
}

function describeStop(request: ApprovalRequest): string {
  switch (request.type) {
    case "plan_approval":
      return `plan v${request.version} waits for approval (${request.steps.length} steps)`;
    case "step_approval":
      return `${request.steps.map((s) => `${s.stepId} (${s.tool}, ${s.risk})`).join(", ")} wait for approval`;
    case "low_confidence":
      return `${request.steps.map((s) => `${s.stepId} (confidence ${s.confidence.toFixed(2)})`).join(", ")} wait for review`;
    case "budget":
      return `budget reached: ${request.exceeded.map((e) => `${e.key} ${round(e.used)}/${e.limit}`).join(", ")}`;
  }
}

const round = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(4));

function reportMarkers(points: Point[], versions: ReportPlanVersion[], waits: ReportWait[]): ReportMarker[] {
  const markers: ReportMarker[] = [];
  for (const v of versions) {
    if (v.at === null || v.cause === "initial") continue;
    markers.push({
      kind: v.cause === "replan" ? "replan" : "plan",
      at: v.at,
      stepId: null,
      ok: null,
      label: v.cause === "replan" ? `replan #${v.replan ?? "?"} → plan v${v.version}` : `plan v${v.version}`,
      detail:
        (v.failed.length ? `after ${v.failed.join(", ")} failed; ` : "") +
        `added ${v.added.join(", ") || "nothing"}` +
        (v.dropped.length ? `; dropped ${v.dropped.join(", ")}` : "") +
        (v.cause === "edited" ? " (plan edited by a person)" : ""),
    });
  }
  for (const w of waits) {
    if (w.kind === "step_approval" && w.to !== null && w.outcome) {
      markers.push({
        kind: "approval",
        at: w.to,
        stepId: w.stepId,
        ok: w.outcome !== "rejected",
        label: w.outcome,
        detail: `${w.stepId} ${w.outcome} after waiting ${Math.round((w.to - w.from) / 100) / 10} s`,
      });
    }
    if (w.kind === "budget") {
      markers.push({
        kind: "budget",
        at: w.from,
        stepId: null,
        ok: null,
        label: "budget stop",
        detail: w.label,
      });
    }
    if (w.kind === "plan_approval" && w.to !== null) {
      markers.push({
        kind: "approval",
        at: w.to,
        stepId: null,
        ok: w.outcome !== "rejected",
        label: `plan ${w.outcome ?? "decided"}`,
        detail: w.label,
      });
    }
  }
  // Critic verdicts: the checkpoint where a step's evaluation by the critic first appears.
  const verdicts = new Map<string, string>();
  let answered = false;
  let failed = false;
  for (const p of points) {
    for (const [id, record] of Object.entries(p.view.state.steps ?? {})) {
      const e = record.evaluation;
      if (!e || e.by !== "critic") continue;
      const key = `${e.ok}:${e.reason}`;
      if (verdicts.get(id) === key) continue;
      verdicts.set(id, key);
      markers.push({
        kind: "critic",
        at: p.at,
        stepId: id,
        ok: e.ok,
        label: e.ok ? "critic: pass" : "critic: fail",
        detail: e.reason,
      });
    }
    if (!answered && p.view.state.finalAnswer != null) {
      answered = true;
      markers.push({
        kind: "answer",
        at: p.at,
        stepId: null,
        ok: true,
        label: "answer",
        detail: "final answer written",
      });
    }
    if (!failed && p.view.state.error) {
      failed = true;
      markers.push({
        kind: "failure",
        at: p.at,
        stepId: null,
        ok: false,
        label: "run failed",
        detail: p.view.state.error,
      });
    }
  }
  return markers.sort((a, b) => a.at - b.at);
}

/** What ran between two checkpoints: the node(s) the earlier one names as next (not while waiting). */
function reportPhases(points: Point[]): ReportPhase[] {
  const phases: ReportPhase[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const p = points[i] as Point;
    const q = points[i + 1] as Point;
    if (p.entry.waiting || p.entry.next.length === 0 || q.at <= p.at) continue;
    phases.push({ node: p.entry.next.join("+"), from: p.at, to: q.at });
  }
  return phases;
}

function pricesOf(state: PlanExecuteStateType): Record<string, Price> {
  const prices = (state.settings as { prices?: unknown } | null)?.prices;
  return prices && typeof prices === "object" ? (prices as Record<string, Price>) : {};
}

function tokensOf(u: RoleUsage, prices: Record<string, Price>): ReportTokens {
  const cost = estimateCost({ executor: u }, prices);
  return {
    input_tokens: u.input_tokens,
    output_tokens: u.output_tokens,
    total_tokens: u.total_tokens,
    calls: u.calls,
    model: u.model ?? null,
    usd: cost.unpriced.length > 0 || (!u.model && u.total_tokens > 0) ? null : cost.usd,
  };
}

function usageOf(state: PlanExecuteStateType): ReportUsage {
  const prices = pricesOf(state);
  const roles = MODEL_ROLES.flatMap((role) => {
    const u = state.usage?.[role];
    return u ? [{ role, ...tokensOf(u, prices) }] : [];
  });
  const all = estimateCost(state.usage ?? {}, prices);
  const sum = (k: "input_tokens" | "output_tokens" | "total_tokens" | "calls") =>
    roles.reduce((n, r) => n + r[k], 0);
  return {
    roles,
    total: {
      input_tokens: sum("input_tokens"),
      output_tokens: sum("output_tokens"),
      total_tokens: sum("total_tokens"),
      calls: sum("calls"),
      model: null,
      usd: all.usd,
      unpriced: all.unpriced,
    },
  };
}

/** Step ids the answer cites as `[step_id]` (or `[a, b]`), in order of first citation. */
function citations(text: string | null, steps: ReportStep[]): RunReport["answer"] {
  const ids = new Set(steps.map((s) => s.id));
  const cited: string[] = [];
  for (const m of (text ?? "").matchAll(/\[([^[\]\n]{1,200})\]/g)) {
    const parts = (m[1] as string).split(/\s*,\s*/);
    if (!parts.every((p) => ids.has(p))) continue;
    for (const p of parts) if (!cited.includes(p)) cited.push(p);
  }
  return { text, citations: cited };
}

function noPlanReason(view: ThreadView): string {
  const s = view.state;
  if (s.error) return `No plan: ${s.error}`;
  if (view.status === "waiting") return "No plan yet: the run waits for a decision before planning.";
  if (view.status === "interrupted")
    return `No plan yet: the run stopped before the planner finished (next: ${view.next.join(", ") || "nothing"}); resume it to continue.`;
  return "No plan: the run ended without one.";
}

/** The search tree in display order: each node followed by its children (depth first). */
function searchOf(tree: SearchTree | null): ReportSearch | null {
  if (!tree) return null;
  const nodes: ReportSearchNode[] = [];
  const visit = (parent: string | null, depth: number) => {
    for (const n of tree.nodes.filter((x) => x.parent === parent)) {
      nodes.push({
        id: n.id,
        parent: n.parent,
        kind: n.kind,
        depth,
        status: n.status,
        current: n.id === tree.current,
        visits: n.visits,
        value: n.visits > 0 ? n.valueSum / n.visits : null,
        prior: n.prior,
        judge: n.judge,
        judgeReason: n.judgeReason,
        features: n.features?.score ?? null,
        tools: n.plan.map((s) => s.tool),
        planVersion: n.planVersion,
        note: n.note,
      });
      visit(n.id, depth + 1);
    }
  };
  visit(null, 0);
  return { selection: tree.selection, ended: tree.ended, nodes };
}
