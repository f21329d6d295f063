import { formatDuration, formatOffset } from "./escape.js";
import type { ReportMarker, ReportStepStatus, RunReport } from "./model.js";

/**
 * The timeline both renderers draw (HTML Gantt and standalone SVG): rows, bars and markers with
 * x positions as fractions 0..1 of the time axis. Long idle gaps (a person away for an hour, a
 * crashed process) are cut out of the axis and drawn as a break, so the work stays readable.
 */
export interface Timeline {
  start: number;
  end: number;
  rows: TimelineRow[];
  breaks: { from: number; to: number; x0: number; x1: number; label: string }[];
  ticks: { x: number; label: string }[];
  /** Replans, plan decisions, budget stops: drawn as lines across all rows. */
  guides: (ReportMarker & { x: number })[];
}

export interface TimelineRow {
  /** null for the run's own row (planner, executor, … and stops for a person). */
  stepId: string | null;
  label: string;
  sublabel: string;
  status: ReportStepStatus | "run";
  bars: TimelineBar[];
  markers: (ReportMarker & { x: number })[];
}

export interface TimelineBar {
  kind: "attempt" | "wait" | "phase";
  /** attempt: ok / retried (failed, then retried) / failed / approximate; wait: open or done; phase: node name. */
  variant: string;
  from: number;
  to: number;
  x0: number;
  x1: number;
  attempt: number | null;
  title: string;
}

/** Share of the axis one break takes. */
const BREAK_WIDTH = 0.04;
/** Gaps shorter than this are never cut. */
const MIN_BREAK_MS = 10_000;

export function buildTimeline(report: RunReport): Timeline {
  const events = timesOf(report);
  const start = events.length ? Math.min(...events) : report.generatedAt;
  const end = Math.max(start + 1, ...events);
  const scale = timeScale(events, start, end);
  const x = scale.x;

  const run: TimelineRow = {
    stepId: null,
    label: "run",
    sublabel: "agent",
    status: "run",
    bars: [
      ...report.phases.map((p) => ({
        kind: "phase" as const,
        variant: p.node.split("+")[0] ?? p.node,
        from: p.from,
        to: p.to,
        x0: x(p.from),
        x1: x(p.to),
        attempt: null,
        title: `${p.node}: ${formatDuration(p.to - p.from)}`,
      })),
      // Every wait for a person, the steps' included: the run row shows work and waiting apart.
      ...report.waits.map((w) =>
        waitBar(w.from, w.to, end, x, `${w.stepId ? `${w.stepId}: ` : ""}${w.label}`),
      ),
    ],
    markers: report.markers
      .filter((m) => m.stepId === null && (m.kind === "answer" || m.kind === "failure"))
      .map((m) => ({ ...m, x: x(m.at) })),
  };

  const rows = report.steps.map((step, index) => ({ step, index }));
  const firstTime = (s: (typeof rows)[number]["step"]) =>
    s.attemptLog[0]?.startedAt ??
    s.startedAt ??
    report.waits.find((w) => w.stepId === s.id)?.from ??
    Number.POSITIVE_INFINITY;
  rows.sort((a, b) => firstTime(a.step) - firstTime(b.step) || a.index - b.index);

  const stepRows: TimelineRow[] = rows.map(({ step }) => {
    const attempts = step.attemptLog.map((a, i, all) => {
      const last = i === all.length - 1;
      const variant = a.approximate
        ? "approximate"
        : a.error === null
          ? "ok"
          : last && step.status !== "succeeded"
            ? "failed"
            : "retried";
      const what = a.approximate
        ? `${step.attempts} attempt${step.attempts === 1 ? "" : "s"} (no per-attempt timing in this thread)`
        : `attempt ${a.attempt}`;
      return {
        kind: "attempt" as const,
        variant,
        from: a.startedAt,
        to: a.finishedAt,
        x0: x(a.startedAt),
        x1: x(a.finishedAt),
        attempt: a.attempt,
        title: `${step.id} ${what}: ${formatDuration(a.finishedAt - a.startedAt)}${a.error ? ` — ${a.error}` : ""}`,
      };
    });
    const waits = report.waits
      .filter((w) => w.stepId === step.id)
      .map((w) => waitBar(w.from, w.to, end, x, `${step.id} ${w.label}`));
    return {
      stepId: step.id,
      label: step.id,
      sublabel: step.tool,
      status: step.status,
      bars: [...waits, ...attempts],
      markers: report.markers.filter((m) => m.stepId === step.id).map((m) => ({ ...m, x: x(m.at) })),
    };
  });

  const guides = report.markers
    .filter((m) => m.stepId === null && ["replan", "plan", "budget", "approval"].includes(m.kind))
    .map((m) => ({ ...m, x: x(m.at) }));
  return { start, end, rows: [run, ...stepRows], breaks: scale.breaks, ticks: scale.ticks(start), guides };
}

function waitBar(
  from: number,
  to: number | null,
  end: number,
  x: (t: number) => number,
  label: string,
): TimelineBar {
  const until = to ?? end;
  return {
    kind: "wait",
    variant: to === null ? "open" : "done",
    from,
    to: until,
    x0: x(from),
    x1: x(until),
    attempt: null,
    title: `${label}: ${formatDuration(until - from)}${to === null ? " so far (still waiting)" : ""}`,
  };
}

function timesOf(report: RunReport): number[] {
  const t: (number | null)[] = [report.startedAt];
  for (const s of report.steps) {
    t.push(s.startedAt, s.finishedAt);
    for (const a of s.attemptLog) t.push(a.startedAt, a.finishedAt);
  }
  // A wait still open runs until the report was made.
  for (const w of report.waits) t.push(w.from, w.to ?? report.generatedAt);
  for (const p of report.phases) t.push(p.from, p.to);
  for (const m of report.markers) t.push(m.at);
  t.push(report.endedAt);
  return t.filter((v): v is number => typeof v === "number" && Number.isFinite(v) && v > 0);
}

interface Segment {
  t0: number;
  t1: number;
  x0: number;
  x1: number;
}

/**
 * A piecewise-linear time → x mapping. A gap between two consecutive event times is cut when it
 * is at least {@link MIN_BREAK_MS} and more than a quarter of the rest of the run (what is left
 * after cutting the longer gaps).
 */
export function timeScale(events: number[], start: number, end: number) {
  const times = [...new Set([start, ...events, end])].sort((a, b) => a - b);
  const gaps = times
    .slice(1)
    .map((t, i) => ({ from: times[i] as number, to: t, ms: t - (times[i] as number) }));
  let remaining = end - start;
  const cut = new Set<(typeof gaps)[number]>();
  for (const gap of [...gaps].sort((a, b) => b.ms - a.ms)) {
    if (gap.ms < MIN_BREAK_MS || gap.ms <= 0.25 * (remaining - gap.ms)) break;
    cut.add(gap);
    remaining -= gap.ms;
  }
  const breakWidth = cut.size ? Math.min(BREAK_WIDTH, 0.3 / cut.size) : 0;
  const linear = Math.max(1, remaining);
  const perMs = (1 - breakWidth * cut.size) / linear;
  const segments: Segment[] = [];
  const breaks: Timeline["breaks"] = [];
  let x = 0;
  let t = start;
  for (const gap of gaps.filter((g) => cut.has(g))) {
    if (gap.from > t) segments.push({ t0: t, t1: gap.from, x0: x, x1: (x += (gap.from - t) * perMs) });
    const x0 = x;
    segments.push({ t0: gap.from, t1: gap.to, x0, x1: (x += breakWidth) });
    breaks.push({ from: gap.from, to: gap.to, x0, x1: x, label: formatDuration(gap.ms) });
    t = gap.to;
  }
  segments.push({ t0: t, t1: end, x0: x, x1: 1 });

  const map = (time: number): number => {
    if (time <= start) return 0;
    if (time >= end) return 1;
    const s = segments.find((seg) => time <= seg.t1) ?? (segments.at(-1) as Segment);
    const span = s.t1 - s.t0;
    return span <= 0 ? s.x0 : s.x0 + ((time - s.t0) / span) * (s.x1 - s.x0);
  };

  /** Round ticks over the linear parts, labelled with the time since the run started. */
  const ticks = (origin: number) => {
    const step = niceStep(linear / 8);
    const out: { x: number; label: string }[] = [];
    for (const s of segments) {
      if (breaks.some((b) => b.from === s.t0 && b.to === s.t1)) continue;
      const first = Math.ceil((s.t0 - origin) / step) * step + origin;
      for (let tick = first; tick <= s.t1 + 1e-6 && out.length < 60; tick += step) {
        const tx = map(tick);
        if (out.length && tx - (out.at(-1) as { x: number }).x < 0.04) continue;
        out.push({ x: tx, label: formatOffset(tick - origin) });
      }
    }
    return out;
  };
  return { x: map, breaks, ticks };
}

function niceStep(raw: number): number {
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000,
    300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
  ];
  return steps.find((s) => s >= raw) ?? 86_400_000 * Math.ceil(raw / 86_400_000);
}
