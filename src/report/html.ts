import { createHash } from "node:crypto";
import { escapeText as e, formatDuration, formatTokens, formatUsd, isoTime, truncate } from "./escape.js";
import { layoutDag } from "./layout.js";
import type { ReportPlanVersion, ReportStep, ReportStepStatus, ReportTokens, RunReport } from "./model.js";
import { BAR_COLORS, PHASE_COLORS, STATUS_COLORS, STATUS_ICON } from "./style.js";
import { buildTimeline, type Timeline, type TimelineBar, type TimelineRow } from "./timeline.js";

export interface RenderOptions {
  /** Timeline rows shown before "show all" (the run row not counted). Default 40. */
  rowCap?: number;
}

/** Step ids named in one sentence before "and N more". */
const LIST_CAP = 12;

/** Steps at which the steps list and the plan graph become scroll boxes. */
const SCROLL_AFTER = 24;

/**
 * One self-contained HTML page for a run report: inline CSS, a few lines of inline JS (allowed by
 * a hash in the page's Content-Security-Policy, which also forbids any network access), inline
 * SVG. Every text of the run is escaped.
 */
export function renderReportHtml(report: RunReport, options: RenderOptions = {}): string {
  const rowCap = Math.max(1, options.rowCap ?? 40);
  const anchors = new Map(report.steps.map((s, i) => [s.id, `s-${i + 1}`]));
  const timeline = buildTimeline(report);
  const body = [
    header(report),
    answerSection(report, anchors),
    planSection(report, anchors),
    searchSection(report),
    timelineSection(report, timeline, anchors, rowCap),
    stepsSection(report, anchors),
    usageSection(report, anchors),
    auditSection(report, anchors),
  ].join("\n");
  const hash = createHash("sha256").update(SCRIPT).digest("base64");
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${hash}'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="langgraph-plan-execute report v${report.format}">
<title>${e(`Run report: ${truncate(report.goal || report.threadId, 90)}`)}</title>
<style>${CSS}${versionTabCss(report.planVersions)}</style>
</head>
<body>
<div class="page">
${body}
<footer>Generated ${e(isoTime(report.generatedAt))} from ${report.checkpoints} checkpoints of thread <code>${e(report.threadId)}</code> by langgraph-plan-execute. Self-contained: no network access.</footer>
</div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

function header(r: RunReport): string {
  const counts = new Map<ReportStepStatus, number>();
  for (const s of r.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  const wall = r.startedAt !== null && r.endedAt !== null ? r.endedAt - r.startedAt : null;
  const waited = r.waits.reduce((sum, w) => sum + ((w.to ?? r.endedAt ?? w.from) - w.from), 0);
  const attempts = r.steps.reduce((n, s) => n + s.attempts, 0);
  const retries = r.steps.reduce((n, s) => n + Math.max(0, s.attempts - 1), 0);
  const breakdown = [...counts]
    .map(([status, n]) => `<span class="pill st-${status}">${STATUS_ICON[status]} ${n} ${status}</span>`)
    .join(" ");
  const stat = (label: string, value: string, sub = "") =>
    `<div class="stat"><div class="v">${value}</div><div class="k">${e(label)}</div>${sub ? `<div class="s">${sub}</div>` : ""}</div>`;
  return `<header class="top">
<div class="kicker">plan-execute · run report</div>
<h1>${e(r.goal || "(no goal)")}</h1>
<div class="meta">
<span class="badge status-${e(r.status)}">${e(r.status)}</span>
<span>thread <code>${e(r.threadId)}</code></span>
${r.runId ? `<span>run <code>${e(r.runId.slice(0, 8))}</code></span>` : ""}
<span>started ${e(isoTime(r.startedAt))}</span>
${r.forkedFrom ? `<span>forked from <code>${e(r.forkedFrom.threadId)}</code> @ <code>${e(r.forkedFrom.checkpointId.slice(0, 12))}</code></span>` : ""}
</div>
<div class="stats">
${stat("steps", String(r.steps.length), breakdown)}
${stat("wall time", wall === null ? "–" : e(formatDuration(wall)), `working ${e(formatDuration(r.activeMs))} · waiting for people ${e(formatDuration(waited))}`)}
${stat("plan versions", String(r.planVersions.length), plural(r.planVersions.filter((v) => v.cause === "replan").length, "replan", "replans"))}
${stat("attempts", String(attempts), plural(retries, "retry", "retries"))}
${stat("tokens", e(formatTokens(r.usage.total.total_tokens)), `${r.usage.total.calls} model calls`)}
${stat("est. cost", e(formatUsd(r.usage.total.usd)), r.usage.total.unpriced.length ? `${r.usage.total.unpriced.length} model${r.usage.total.unpriced.length === 1 ? "" : "s"} without a price` : "")}
</div>
${r.pending.length ? `<div class="notice waiting">${r.pending.map((p) => `‖ ${e(p.summary)}`).join("<br>")}<br><small>Resume with <code>plan-execute resume ${e(r.threadId)}</code></small></div>` : ""}
</header>`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

function answerSection(r: RunReport, anchors: Map<string, string>): string {
  const parts: string[] = [];
  if (r.answer.text !== null) {
    parts.push(`<div class="answer">${linkCitations(r.answer.text, anchors)}</div>`);
    if (r.answer.citations.length)
      parts.push(
        `<p class="muted">Cites ${r.answer.citations.map((id) => stepLink(id, anchors)).join(", ")}.</p>`,
      );
  } else {
    parts.push(
      `<p class="muted">No answer${r.status === "finished" ? "" : ` yet (the run is ${e(r.status)})`}.</p>`,
    );
  }
  if (r.error) parts.push(`<div class="notice error"><b>Error:</b> ${e(r.error)}</div>`);
  return `<section id="answer"><h2>Answer</h2>${parts.join("\n")}</section>`;
}

/** The answer's text with each `[step_id]` (or `[a, b]`) naming known steps turned into links. */
function linkCitations(text: string, anchors: Map<string, string>): string {
  let html = "";
  let last = 0;
  for (const m of text.matchAll(/\[([^[\]\n]{1,200})\]/g)) {
    const parts = (m[1] as string).split(/\s*,\s*/);
    if (!parts.every((p) => anchors.has(p))) continue;
    html += e(text.slice(last, m.index));
    html += `<span class="cite">[${parts.map((p) => stepLink(p, anchors)).join(", ")}]</span>`;
    last = (m.index ?? 0) + m[0].length;
  }
  return html + e(text.slice(last));
}

function stepLink(id: string, anchors: Map<string, string>): string {
  const a = anchors.get(id);
  return a ? `<a href="#${a}" data-step="${e(id)}">${e(id)}</a>` : e(id);
}

function planSection(r: RunReport, anchors: Map<string, string>): string {
  if (r.planVersions.length === 0) {
    const errors = r.validationErrors.length
      ? `<p>The last proposal was refused:</p><ul>${r.validationErrors.map((v) => `<li>${e(v)}</li>`).join("")}</ul>`
      : "";
    return `<section id="plan"><h2>Plan</h2><div class="notice empty" data-no-plan>${e(r.noPlan ?? "No plan.")}</div>${errors}</section>`;
  }
  const byId = new Map(r.steps.map((s) => [s.id, s]));
  const last = r.planVersions.at(-1) as ReportPlanVersion;
  const tabs = r.planVersions
    .map(
      (v) =>
        `<input type="radio" name="plan-version" id="pv-${v.version}" class="tab-input"${v === last ? " checked" : ""}>` +
        `<label for="pv-${v.version}" class="tab">v${v.version}<small>${e(causeText(v))}</small></label>`,
    )
    .join("");
  const panels = r.planVersions
    .map((v) => {
      const steps = v.steps.map((id) => byId.get(id)).filter((s): s is ReportStep => Boolean(s));
      return `<div class="panel pv-${v.version}">
<p class="version-summary">${versionSummary(r, v, anchors)}</p>
<div class="dag-wrap${steps.length > SCROLL_AFTER ? " scroll" : ""}">${dagSvg(steps, v, anchors)}</div>
</div>`;
    })
    .join("\n");
  const legend = (["succeeded", "failed", "rejected", "skipped", "waiting", "pending"] as const)
    .map((s) => `<span class="pill st-${s}">${STATUS_ICON[s]} ${s}</span>`)
    .join(" ");
  return `<section id="plan"><h2>Plan <small>dependency graph, columns by dependency depth</small></h2>
<div class="legend">${legend} <span class="pill new">new in this version</span> <span class="pill dropped">dropped later</span></div>
<div class="tabs">${tabs}<div class="panels">${panels}</div></div>
</section>`;
}

function causeText(v: ReportPlanVersion): string {
  switch (v.cause) {
    case "initial":
      return "first plan";
    case "replan":
      return `replan #${v.replan ?? "?"}`;
    case "edited":
      return "edited";
    case "new_plan":
      return "new plan";
  }
}

function versionSummary(r: RunReport, v: ReportPlanVersion, anchors: Map<string, string>): string {
  const list = (ids: string[]) =>
    ids.length === 0
      ? "–"
      : ids
          .slice(0, LIST_CAP)
          .map((id) => stepLink(id, anchors))
          .join(", ") + (ids.length > LIST_CAP ? ` and ${ids.length - LIST_CAP} more` : "");
  const at = v.at !== null && r.startedAt !== null ? ` at +${e(formatDuration(v.at - r.startedAt))}` : "";
  const bits = [`<b>Plan v${v.version}</b> (${e(causeText(v))}${at}): ${v.steps.length} steps.`];
  if (v.failed.length) bits.push(`After ${list(v.failed)} failed.`);
  if (v.cause !== "initial")
    bits.push(`Kept ${list(v.kept)}; added ${list(v.added)}; dropped ${list(v.dropped)}.`);
  return bits.join(" ");
}

function dagSvg(steps: ReportStep[], v: ReportPlanVersion, anchors: Map<string, string>): string {
  const layout = layoutDag(steps.map((s) => ({ id: s.id, dependsOn: s.dependsOn })));
  const byId = new Map(steps.map((s) => [s.id, s]));
  const marker = `arrow-v${v.version}`;
  const edges = layout.edges
    .map((edge) => {
      const dim = ["skipped", "failed", "rejected"].includes(byId.get(edge.from)?.status ?? "");
      return `<path class="edge${dim ? " dim" : ""}" d="${edge.path}" marker-end="url(#${marker})"/>`;
    })
    .join("");
  const W = layout.nodeWidth;
  const H = layout.nodeHeight;
  const nodes = layout.nodes
    .map((n) => {
      const s = byId.get(n.id) as ReportStep;
      const c = STATUS_COLORS[s.status];
      const isNew = v.cause !== "initial" && v.added.includes(s.id);
      const dropped = s.droppedIn !== null && s.droppedIn > v.version;
      const badge = isNew
        ? `<rect class="badge-new" x="${W - 34}" y="-7" width="34" height="14" rx="7"/><text class="badge-t" x="${W - 17}" y="3.5">new</text>`
        : dropped
          ? `<rect class="badge-drop" x="${W - 62}" y="-7" width="62" height="14" rx="7"/><text class="badge-t" x="${W - 31}" y="3.5">gone in v${s.droppedIn}</text>`
          : "";
      const tip = `${s.id} · ${s.tool} · ${s.status}${s.attempts > 1 ? ` · ${s.attempts} attempts` : ""}\n${s.description}${s.error ? `\n${s.error}` : ""}`;
      return `<a href="#${anchors.get(s.id)}"><g class="node st-${s.status}${dropped ? " dropped" : ""}" data-step="${e(s.id)}" transform="translate(${n.x},${n.y})"><title>${e(tip)}</title>
<rect width="${W}" height="${H}" rx="7" fill="${c.fill}" stroke="${c.stroke}"/>
<text class="nid" x="10" y="17" fill="${c.text}">${STATUS_ICON[s.status]} ${e(truncate(s.id, 20))}</text>
<text class="ntool" x="10" y="33">${e(truncate(`${s.tool} · ${truncate(s.description, 60)}`, 27))}</text>${badge}</g></a>`;
    })
    .join("\n");
  return `<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="plan v${v.version}: ${steps.length} steps">
<defs><marker id="${marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8795a8"/></marker></defs>
<g class="edges">${edges}</g>
<g class="nodes">${nodes}</g>
</svg>`;
}

function timelineSection(r: RunReport, t: Timeline, anchors: Map<string, string>, rowCap: number): string {
  const stepRows = t.rows.length - 1;
  const capped = stepRows > rowCap;
  const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
  const ticks = t.ticks
    .map((k) => `<span class="tick" style="left:${pct(k.x)}">${e(k.label)}</span>`)
    .join("");
  const breaks = t.breaks
    .map(
      (b) =>
        `<div class="brk" style="left:${pct(b.x0)};width:${pct(b.x1 - b.x0)}" title="${e(`${b.label} with nothing running (cut from the axis)`)}"><span>⋯ ${e(b.label)} ⋯</span></div>`,
    )
    .join("");
  const guides = t.guides
    .map(
      (g) =>
        `<div class="guide g-${g.kind}" style="--x:${g.x.toFixed(5)}" title="${e(`${g.label}: ${g.detail}`)}"><span>${e(guideIcon(g.kind))} ${e(g.label)}</span></div>`,
    )
    .join("");
  const rows = t.rows.map((row, i) => ganttRow(row, i - 1 >= rowCap, anchors)).join("\n");
  const toggle = capped ? `<input type="checkbox" id="gantt-all" class="show-all">` : "";
  const button = capped
    ? `<label for="gantt-all" class="show-all-btn"><span class="more">Show all ${stepRows} steps (${stepRows - rowCap} hidden)</span><span class="less">Show the first ${rowCap} steps</span></label>`
    : "";
  const legend = [
    `<span class="key"><i class="sw" style="background:${BAR_COLORS.ok}"></i>attempt</span>`,
    `<span class="key"><i class="sw" style="background:${BAR_COLORS.retried}"></i>attempt that failed and was retried</span>`,
    `<span class="key"><i class="sw" style="background:${BAR_COLORS.failed}"></i>failed attempt</span>`,
    `<span class="key"><i class="sw wait-sw"></i>waiting for a person</span>`,
    `<span class="key">◆ critic verdict</span><span class="key">✓ ✗ approval decision</span><span class="key">↻ replan</span><span class="key">⚑ budget stop</span>`,
  ].join("");
  return `<section id="timeline"><h2>Timeline <small>one row per step, one bar per attempt</small></h2>
<div class="legend">${legend}</div>
${toggle}
<div class="gantt${capped ? " capped" : ""}" data-rows="${stepRows}" data-cap="${rowCap}">
<div class="axis"><div class="lbl">${r.startedAt !== null ? e(isoTime(r.startedAt)) : ""}</div><div class="track">${ticks}${breaks}</div></div>
<div class="body"><div class="overlay">${guides}${t.breaks.map((b) => `<div class="brk-line" style="--x:${b.x0.toFixed(5)};--w:${(b.x1 - b.x0).toFixed(5)}"></div>`).join("")}</div>
${rows}
</div>
</div>
${button}
</section>`;
}

function guideIcon(kind: string): string {
  return kind === "replan" ? "↻" : kind === "budget" ? "⚑" : kind === "approval" ? "✓" : "✎";
}

function ganttRow(row: TimelineRow, extra: boolean, anchors: Map<string, string>): string {
  const pct = (x: number) => `${(x * 100).toFixed(3)}%`;
  const bars = row.bars.map((b) => ganttBar(row, b, pct)).join("");
  const markers = row.markers
    .map(
      (m) =>
        `<span class="mk mk-${m.kind}${m.ok === false ? " bad" : m.ok ? " good" : ""}" style="left:${pct(m.x)}" data-kind="marker" title="${e(`${m.label}: ${m.detail}`)}">${e(markerIcon(m.kind, m.ok))}</span>`,
    )
    .join("");
  const label =
    row.stepId === null
      ? `<span class="rid">run</span><span class="tool">agent</span>`
      : `<a href="#${anchors.get(row.stepId)}" data-step="${e(row.stepId)}" class="rid"><span class="dot st-${row.status}"></span>${e(truncate(row.label, 22))}</a><span class="tool">${e(truncate(row.sublabel, 14))}</span>`;
  const cls = row.stepId === null ? "row run" : `row st-${row.status}${extra ? " extra" : ""}`;
  return `<div class="${cls}"${row.stepId !== null ? ` data-step="${e(row.stepId)}"` : ""}><div class="lbl">${label}</div><div class="track">${bars}${markers}</div></div>`;
}

function ganttBar(row: TimelineRow, b: TimelineBar, pct: (x: number) => string): string {
  const width = Math.max(0, b.x1 - b.x0);
  const data = `data-kind="${b.kind}"${row.stepId !== null ? ` data-step="${e(row.stepId)}"` : ""}${b.attempt !== null ? ` data-attempt="${b.attempt}"` : ""}`;
  const style = `left:${pct(b.x0)};width:${pct(width)}`;
  if (b.kind === "phase") {
    const color = PHASE_COLORS[b.variant] ?? "#cbd5e1";
    return `<div class="bar phase" ${data} style="${style};background:${color}" title="${e(b.title)}"><span>${width > 0.05 ? e(b.variant) : ""}</span></div>`;
  }
  if (b.kind === "wait") {
    const label =
      width > 0.045
        ? `<span>‖ ${e(formatDuration(b.to - b.from))}${b.variant === "open" ? " so far" : ""}</span>`
        : "";
    return `<div class="bar wait ${b.variant}" ${data} style="${style}" title="${e(b.title)}">${label}</div>`;
  }
  const text = b.attempt !== null && (b.attempt > 1 || b.variant === "retried") ? `#${b.attempt} ` : "";
  // Bars too narrow for their label show it only as a tooltip.
  const label = width > 0.045 ? `<span>${text}${e(formatDuration(b.to - b.from))}</span>` : "";
  return `<div class="bar attempt ${b.variant}" ${data} style="${style}" title="${e(b.title)}">${label}</div>`;
}

function markerIcon(kind: string, ok: boolean | null): string {
  switch (kind) {
    case "critic":
      return "◆";
    case "approval":
      return ok === false ? "✗" : "✓";
    case "answer":
      return "★";
    case "failure":
      return "✖";
    default:
      return "•";
  }
}

function stepsSection(r: RunReport, anchors: Map<string, string>): string {
  if (r.steps.length === 0) return "";
  const items = r.steps.map((s) => stepDetails(r, s, anchors)).join("\n");
  return `<section id="steps"><h2>Steps <small>${r.steps.length}; click one to open it</small></h2>
<div class="steps-list${r.steps.length > SCROLL_AFTER ? " scroll" : ""}">${items}</div></section>`;
}

function stepDetails(r: RunReport, s: ReportStep, anchors: Map<string, string>): string {
  const duration =
    s.startedAt !== null && s.finishedAt !== null ? formatDuration(s.finishedAt - s.startedAt) : "";
  const rows: [string, string][] = [
    ["description", e(s.description)],
    ["expected output", e(s.expectedOutput)],
    ["depends on", s.dependsOn.length ? s.dependsOn.map((d) => stepLink(d, anchors)).join(", ") : "–"],
    [
      "plan versions",
      s.versions.map((v) => `v${v}`).join(", ") + (s.droppedIn ? ` (gone in v${s.droppedIn})` : ""),
    ],
    ["args", `<pre>${e(json(s.args))}</pre>`],
  ];
  if (s.attemptLog.length) {
    const start = r.startedAt ?? s.attemptLog[0]?.startedAt ?? 0;
    rows.push([
      "attempts",
      `<table class="mini"><tr><th>#</th><th>start</th><th>duration</th><th>result</th></tr>${s.attemptLog
        .map(
          (a) =>
            `<tr><td>${a.attempt}</td><td>+${e(formatDuration(a.startedAt - start))}</td><td>${e(formatDuration(a.finishedAt - a.startedAt))}</td><td>${a.error === null ? "ok" : e(a.error)}${a.approximate ? " <i>(whole step; attempts not timed)</i>" : ""}</td></tr>`,
        )
        .join("")}</table>`,
    ]);
  }
  if (s.approval)
    rows.push([
      "approval",
      `${e(s.approval.status)} · ${e(s.approval.risk)}${s.approval.reason ? ` · “${e(s.approval.reason)}”` : ""}${
        s.approval.requestedAt !== null
          ? ` · waited ${e(formatDuration((s.approval.decidedAt ?? r.endedAt ?? s.approval.requestedAt) - s.approval.requestedAt))}${s.approval.decidedAt === null ? " so far" : ""}`
          : ""
      }<pre>${e(json(s.approval.args))}</pre>`,
    ]);
  if (s.evaluation)
    rows.push([
      "evaluation",
      `${s.evaluation.ok ? "✔ pass" : "✖ fail"} (${e(s.evaluation.by)}): ${e(s.evaluation.reason)}`,
    ]);
  if (s.usage)
    rows.push([
      "tokens",
      `${e(formatTokens(s.usage.total_tokens))} (${e(formatTokens(s.usage.input_tokens))} in, ${e(formatTokens(s.usage.output_tokens))} out, ${s.usage.calls} calls${s.usage.model ? `, ${e(s.usage.model)}` : ""}) · ${e(formatUsd(s.usage.usd))}`,
    ]);
  if (s.error) rows.push(["error", `<span class="err">${e(s.error)}</span>`]);
  if (s.output !== null)
    rows.push(["output", `<pre>${e(s.output)}${s.outputTruncated ? "\n… (cut)" : ""}</pre>`]);
  return `<details class="step st-${s.status}" id="${anchors.get(s.id)}" data-step="${e(s.id)}"><summary><span class="dot st-${s.status}"></span><b>${e(s.id)}</b> <span class="tool">${e(s.tool)}</span> <span class="pill st-${s.status}">${e(s.status)}</span>${s.attempts > 1 ? ` <span class="pill retry">${s.attempts} attempts</span>` : ""}${s.cited ? ` <span class="pill cited">cited</span>` : ""} <span class="muted">${e(duration)}</span> <span class="desc">${e(truncate(s.description, 110))}</span></summary>
<dl>${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`).join("")}</dl></details>`;
}

function usageSection(r: RunReport, anchors: Map<string, string>): string {
  const u = r.usage;
  const row = (name: string, t: ReportTokens) =>
    `<tr><td>${name}</td><td>${e(t.model ?? "")}</td><td class="n">${t.calls}</td><td class="n">${e(formatTokens(t.input_tokens))}</td><td class="n">${e(formatTokens(t.output_tokens))}</td><td class="n">${e(formatTokens(t.total_tokens))}</td><td class="n">${e(formatUsd(t.usd))}</td></tr>`;
  const head = `<tr><th></th><th>model</th><th class="n">calls</th><th class="n">input</th><th class="n">output</th><th class="n">total</th><th class="n">est. cost</th></tr>`;
  const roles = u.roles.length
    ? `<table class="grid">${head}${u.roles.map((x) => row(e(x.role), x)).join("")}${row("<b>total</b>", u.total)}</table>`
    : `<p class="muted">No model calls recorded.</p>`;
  const withUsage = r.steps
    .filter((s) => s.usage)
    .sort((a, b) => (b.usage?.total_tokens ?? 0) - (a.usage?.total_tokens ?? 0));
  const steps = withUsage.length
    ? `<h3>Per step <small>(steps that called a model themselves; the executor role above includes them)</small></h3><table class="grid">${head.replace("<th></th>", "<th>step</th>")}${withUsage
        .slice(0, 50)
        .map((s) => row(stepLink(s.id, anchors), s.usage as NonNullable<ReportStep["usage"]>))
        .join(
          "",
        )}</table>${withUsage.length > 50 ? `<p class="muted">${withUsage.length - 50} more steps not listed.</p>` : ""}`
    : "";
  const note = u.total.unpriced.length
    ? `<p class="muted">No price known for ${e(u.total.unpriced.join(", "))}: counted as $0 (add them with the <code>prices</code> setting).</p>`
    : "";
  return `<section id="usage"><h2>Tokens and cost</h2>${roles}${note}${steps}</section>`;
}

/** The plan search's tree: one row per node, indented under its parent, with its values. */
function searchSection(r: RunReport): string {
  const s = r.search;
  if (!s) return "";
  const num = (v: number | null) => (v === null ? "–" : v.toFixed(2));
  const rows = s.nodes
    .filter((n) => n.kind !== "root")
    .map((n) => {
      const label = `${"&nbsp;".repeat(4 * Math.max(0, n.depth - 1))}${n.kind === "recovery" ? "↳ " : ""}${e(n.id)}${n.current ? " ◀" : ""}`;
      const judge = n.judge === null ? "–" : `<span title="${e(n.judgeReason ?? "")}">${num(n.judge)}</span>`;
      return `<tr data-search-node="${e(n.id)}" data-status="${e(n.status)}"><td>${label}</td><td>${e(n.kind)}</td><td>${e(n.status)}${n.planVersion === null ? "" : ` (plan v${n.planVersion})`}</td><td class="n">${num(n.prior)}</td><td class="n">${judge}</td><td class="n">${num(n.features)}</td><td class="n">${n.visits}</td><td class="n">${num(n.value)}</td><td><code>${e(truncate(n.tools.join(" → "), 160))}</code>${n.note ? `<div class="muted">${e(n.note)}</div>` : ""}</td></tr>`;
    })
    .join("");
  const ended = s.ended ? `; ended: ${e(s.ended)}` : "";
  return `<section id="search"><h2>Plan search <small>${e(s.selection)} selection, ${s.nodes.length - 1} nodes${ended}; ◀ the plan that ran last</small></h2><div class="table-wrap"><table class="grid"><tr><th>node</th><th>kind</th><th>status</th><th class="n">prior</th><th class="n">judge</th><th class="n">features</th><th class="n">visits</th><th class="n">value</th><th>plan</th></tr>${rows}</table></div></section>`;
}

function auditSection(r: RunReport, anchors: Map<string, string>): string {
  if (r.audit.length === 0)
    return `<section id="audit"><h2>Audit log</h2><p class="muted">Empty: no MEDIUM or HIGH step ran and no one decided anything.</p></section>`;
  const rows = r.audit
    .map(
      (a) =>
        `<tr><td>${e(isoTime(a.at))}</td><td>${stepLink(a.stepId, anchors)}</td><td>${e(a.tool)}</td><td><span class="risk r-${e(a.risk)}">${e(a.risk)}</span></td><td>${e(a.decision)}</td><td>${e(a.reason ?? "")}</td><td><code>${e(truncate(json(a.args, 0), 240))}</code></td></tr>`,
    )
    .join("");
  return `<section id="audit"><h2>Audit log</h2><div class="table-wrap"><table class="grid"><tr><th>at</th><th>step</th><th>tool</th><th>risk</th><th>decision</th><th>reason</th><th>args</th></tr>${rows}</table></div></section>`;
}

function json(value: unknown, indent = 2): string {
  try {
    return JSON.stringify(value, null, indent) ?? String(value);
  } catch {
    return String(value);
  }
}

function versionTabCss(versions: ReportPlanVersion[]): string {
  return versions.map((v) => `#pv-${v.version}:checked~.panels .pv-${v.version}{display:block}`).join("");
}

/** The page's only script: opens a step when a link to it is followed; highlights a step everywhere on hover. */
const SCRIPT = `(function(){
function openStep(){var id=location.hash.slice(1);if(!id)return;var el=document.getElementById(id);if(el&&el.tagName==="DETAILS"){el.open=true;el.classList.remove("flash");void el.offsetWidth;el.classList.add("flash");}}
window.addEventListener("hashchange",openStep);openStep();
var lit=[];
document.addEventListener("mouseover",function(ev){var t=ev.target&&ev.target.closest?ev.target.closest("[data-step]"):null;var id=t?t.getAttribute("data-step"):null;
lit.forEach(function(n){n.classList.remove("hl")});lit=[];if(!id)return;
document.querySelectorAll("[data-step]").forEach(function(n){if(n.getAttribute("data-step")===id){n.classList.add("hl");lit.push(n);}});});
})();`;

const CSS = `
:root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--accent:#2563eb;--label:210px}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
.page{max-width:1240px;margin:0 auto;padding:20px 24px 40px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px}
pre{background:#f3f4f6;border-radius:6px;padding:8px 10px;margin:4px 0;max-height:320px;overflow:auto;white-space:pre-wrap;word-break:break-word}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
h1{font-size:21px;margin:2px 0 8px;line-height:1.3}
h2{font-size:16px;margin:0 0 10px}h2 small,h3 small{color:var(--muted);font-weight:400;font-size:12px;margin-left:6px}
h3{font-size:14px;margin:16px 0 6px}
section,header.top{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;margin-bottom:16px}
.kicker{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.06em}
.meta{display:flex;flex-wrap:wrap;gap:6px 16px;color:var(--muted);font-size:12.5px;align-items:center}
.badge{display:inline-block;padding:1px 9px;border-radius:10px;font-weight:600;font-size:12px;color:#fff;background:#6b7280}
.status-finished{background:#2f9e63}.status-failed{background:#d64545}.status-waiting{background:#d99a06}.status-interrupted{background:#7c3aed}.status-running{background:#3b82f6}
.stats{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:10px;margin-top:12px}
.stat{border:1px solid var(--line);border-radius:8px;padding:8px 10px}
.stat .v{font-size:19px;font-weight:650}.stat .k{color:var(--muted);font-size:12px}.stat .s{font-size:11.5px;color:var(--muted);margin-top:3px}
.pill{display:inline-block;border-radius:9px;padding:0 7px;font-size:11.5px;border:1px solid var(--line);background:#f9fafb;white-space:nowrap}
${Object.entries(STATUS_COLORS)
  .map(
    ([k, c]) =>
      `.pill.st-${k}{background:${c.fill};border-color:${c.stroke};color:${c.text}}.dot.st-${k}{background:${c.stroke}}`,
  )
  .join("")}
.pill.new{background:#dbeafe;border-color:#2563eb;color:#1e3a8a}.pill.dropped{background:#f3f4f6;border-style:dashed;color:#4b5563}
.pill.retry{background:#ffedd5;border-color:#f08c2e;color:#7c2d12}.pill.cited{background:#ede9fe;border-color:#7c3aed;color:#4c1d95}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;vertical-align:middle}
.notice{border-radius:8px;padding:10px 12px;margin-top:12px}.notice.waiting{background:#fff7e0;border:1px solid #f5c451}
.notice.error{background:#fdecec;border:1px solid #f1a1a1}.notice.empty{background:#f3f4f6;border:1px dashed #9ca3af;font-weight:600}
.muted{color:var(--muted)}
.answer{white-space:pre-wrap;font-size:15px;line-height:1.55;background:#fbfbfd;border-left:3px solid var(--accent);padding:10px 14px;border-radius:4px}
.cite a{background:#ede9fe;border-radius:3px;padding:0 2px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:12px;color:var(--muted);margin-bottom:10px;align-items:center}
.key{display:inline-flex;align-items:center;gap:5px}.sw{display:inline-block;width:20px;height:10px;border-radius:3px}
.wait-sw,.bar.wait{background:repeating-linear-gradient(135deg,#fde7a8 0 5px,${BAR_COLORS.wait} 5px 8px);border:1px solid ${BAR_COLORS.waitStroke}}
.tabs{display:flex;flex-wrap:wrap;gap:6px;align-items:flex-end}
.tab-input{position:absolute;opacity:0;pointer-events:none}
.tab{border:1px solid var(--line);border-bottom:none;border-radius:8px 8px 0 0;padding:5px 12px;cursor:pointer;background:#f3f4f6;font-weight:600}
.tab small{display:block;font-weight:400;color:var(--muted);font-size:11px}
.tab-input:checked+.tab{background:#fff;border-color:#c7d2fe;box-shadow:inset 0 3px 0 var(--accent)}
.panels{flex-basis:100%;min-width:0;max-width:100%;border:1px solid var(--line);border-radius:0 8px 8px 8px;padding:8px 10px}
.panel{display:none}
.version-summary{margin:2px 0 8px;font-size:13px}
.dag-wrap{overflow:auto}.dag-wrap.scroll{max-height:560px;border:1px solid var(--line);border-radius:6px}
svg.dag{display:block;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
svg.dag .edge{fill:none;stroke:#8795a8;stroke-width:1.4}svg.dag .edge.dim{stroke-dasharray:4 3;opacity:.55}
svg.dag .node rect{stroke-width:1.6}svg.dag .node.dropped rect,svg.dag .node.st-skipped rect{stroke-dasharray:5 3}
svg.dag .node.st-skipped,svg.dag .node.dropped{opacity:.72}
svg.dag .nid{font-size:12.5px;font-weight:650}svg.dag .ntool{font-size:11px;fill:#4b5563}
svg.dag .badge-new{fill:#2563eb}svg.dag .badge-drop{fill:#6b7280}svg.dag .badge-t{fill:#fff;font-size:9.5px;text-anchor:middle;font-weight:600}
svg.dag a:hover rect,svg.dag .node.hl rect{stroke-width:3}
.gantt{position:relative;border:1px solid var(--line);border-radius:8px;max-height:72vh;overflow:auto;background:#fff}
.gantt .axis,.gantt .body{min-width:calc(var(--label) + 624px)}
.gantt .row,.gantt .axis{display:grid;grid-template-columns:var(--label) minmax(600px,1fr)}
.gantt .axis{position:sticky;top:0;z-index:3;background:#f9fafb;border-bottom:1px solid var(--line);height:26px}
.gantt .axis .lbl{font-size:11px;color:var(--muted);padding:5px 8px;white-space:nowrap;overflow:hidden}
.gantt .lbl{position:sticky;left:0;z-index:2;background:inherit;padding:2px 8px;display:flex;gap:6px;align-items:center;border-right:1px solid var(--line);min-width:0}
.gantt .row{background:#fff;border-bottom:1px solid #f1f2f4;height:26px}
.gantt .row:nth-child(even){background:#fcfcfd}
.gantt .row.run{background:#f8fafc;height:28px;border-bottom:1px solid var(--line)}
.gantt .row.hl{background:#eef2ff}
.gantt .rid{font-weight:600;font-size:12.5px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.gantt .tool{color:var(--muted);font-size:11px;white-space:nowrap;margin-left:auto}
.gantt .track{position:relative;margin:0 12px}
.gantt .tick{position:absolute;top:5px;transform:translateX(-50%);font-size:11px;color:var(--muted);white-space:nowrap}
.gantt .tick::after{content:"";position:absolute;left:50%;top:15px;height:6px;border-left:1px solid #cbd5e1}
.gantt .brk{position:absolute;top:0;bottom:0;background:repeating-linear-gradient(90deg,#eef0f3 0 3px,#fff 3px 6px);font-size:10px;color:#6b7280;display:flex;align-items:center;justify-content:center;overflow:hidden;white-space:nowrap}
.gantt .body{position:relative}
.gantt .overlay{position:absolute;inset:0;pointer-events:none;z-index:2}
.gantt .guide{position:absolute;top:0;bottom:0;left:calc(var(--label) + 12px + (100% - var(--label) - 24px) * var(--x));border-left:2px dashed #f08c2e;pointer-events:auto}
.gantt .guide.g-budget{border-left-color:#d64545}.gantt .guide.g-approval,.gantt .guide.g-plan{border-left-color:#7c3aed}
.gantt .guide span{position:absolute;top:5px;left:4px;font-size:10.5px;background:#fff7ed;border:1px solid #fdba74;border-radius:4px;padding:0 4px;white-space:nowrap;color:#7c2d12}
.gantt .brk-line{position:absolute;top:0;bottom:0;left:calc(var(--label) + 12px + (100% - var(--label) - 24px) * var(--x));width:calc((100% - var(--label) - 24px) * var(--w));background:repeating-linear-gradient(90deg,rgba(148,163,184,.12) 0 3px,transparent 3px 6px)}
.gantt .bar{position:absolute;top:5px;height:16px;min-width:3px;border-radius:3px;font-size:10px;line-height:16px;color:#fff;overflow:hidden;white-space:nowrap;z-index:1}
.gantt .bar span{padding:0 4px}
.gantt .bar.attempt.ok{background:${BAR_COLORS.ok}}.gantt .bar.attempt.retried{background:${BAR_COLORS.retried}}
.gantt .bar.attempt.failed{background:${BAR_COLORS.failed}}.gantt .bar.attempt.approximate{background:${BAR_COLORS.approximate}}
.gantt .bar.wait{color:#78350f;top:4px;height:18px}.gantt .bar.wait.open{border-right:3px dotted ${BAR_COLORS.waitStroke}}
.gantt .row.run .bar.phase{top:6px;color:#1f2937;opacity:.9;border-radius:2px}
.gantt .row.hl .bar{box-shadow:0 0 0 2px #1d4ed8}
.gantt .mk{position:absolute;top:3px;transform:translateX(-50%);font-size:13px;line-height:20px;z-index:2;text-shadow:0 0 2px #fff,0 0 2px #fff}
.gantt .mk.good{color:#15803d}.gantt .mk.bad{color:#b91c1c}.gantt .mk-critic{font-size:14px}
.gantt.capped .row.extra{display:none}
.show-all{display:none}
.show-all:checked~.gantt .row.extra{display:grid}
.show-all-btn{display:inline-block;margin-top:8px;border:1px solid #c7d2fe;background:#eef2ff;color:#1e40af;border-radius:6px;padding:4px 12px;cursor:pointer;font-size:13px}
.show-all-btn .less{display:none}
.show-all:checked~.show-all-btn .less{display:inline}.show-all:checked~.show-all-btn .more{display:none}
.steps-list.scroll{max-height:70vh;overflow:auto;border:1px solid var(--line);border-radius:8px}
details.step{border-bottom:1px solid var(--line);padding:6px 8px}
details.step summary{cursor:pointer;display:flex;gap:6px;align-items:center;white-space:nowrap;overflow:hidden}
details.step summary .desc{color:var(--muted);overflow:hidden;text-overflow:ellipsis}
details.step summary .tool{color:var(--muted);font-size:12px}
details.step.hl{background:#eef2ff}
details.step.flash{animation:flash 1.6s ease-out}
@keyframes flash{from{background:#fde68a}to{background:transparent}}
dl{display:grid;grid-template-columns:130px 1fr;gap:4px 12px;margin:8px 0 4px 14px}dt{color:var(--muted)}dd{margin:0;min-width:0}
.err{color:#b91c1c}
table.grid{border-collapse:collapse;width:100%;font-size:12.5px}
table.grid th,table.grid td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
table.grid th{color:var(--muted);font-weight:600;background:#f9fafb}
table.grid td.n,table.grid th.n{text-align:right;font-variant-numeric:tabular-nums}
table.mini{border-collapse:collapse;font-size:12px}table.mini td,table.mini th{padding:1px 8px 1px 0;text-align:left}
.table-wrap{max-height:60vh;overflow:auto}
.risk{font-weight:700;font-size:11px;padding:0 5px;border-radius:4px}.r-HIGH{background:#fee2e2;color:#991b1b}.r-MEDIUM{background:#ffedd5;color:#9a3412}.r-LOW{background:#ecfdf5;color:#065f46}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:10px}
@media (max-width:900px){.stats{grid-template-columns:repeat(3,minmax(0,1fr))}}
`;
