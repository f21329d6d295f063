import { escapeText as e, formatDuration, isoTime, truncate } from "./escape.js";
import type { RunReport } from "./model.js";
import { BAR_COLORS, PHASE_COLORS, STATUS_COLORS } from "./style.js";
import { buildTimeline, type TimelineBar, type TimelineRow } from "./timeline.js";

export interface TimelineSvgOptions {
  /** Width of the image in px. Default 1000. */
  width?: number;
  /** Step rows drawn; the rest are summarised in one line. Default 40. */
  rowCap?: number;
}

const LABEL = 170;
const ROW = 22;
const TOP = 58;
const FONT = `font-family="system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif"`;

/**
 * The run's timeline as one standalone SVG (for a README or an issue): a row per step with a bar
 * per attempt, waits for a person hatched, replans and budget stops as dashed lines, critic
 * verdicts and approval decisions as markers. Text is escaped; no scripts, no external resources.
 */
export function renderTimelineSvg(report: RunReport, options: TimelineSvgOptions = {}): string {
  const width = Math.max(480, options.width ?? 1000);
  const cap = Math.max(1, options.rowCap ?? 40);
  const t = buildTimeline(report);
  const [runRow, ...stepRows] = t.rows as [TimelineRow, ...TimelineRow[]];
  const shown = [runRow, ...stepRows.slice(0, cap)];
  const hidden = stepRows.length - (shown.length - 1);
  const trackW = width - LABEL - 24;
  const X = (x: number) => LABEL + 12 + x * trackW;
  const bodyH = shown.length * ROW + (hidden > 0 ? ROW : 0);
  const legendY = TOP + bodyH + 22;
  const height = legendY + 18;
  const out: string[] = [];

  const wall = report.startedAt !== null && report.endedAt !== null ? report.endedAt - report.startedAt : 0;
  out.push(
    `<text x="12" y="20" font-size="14" font-weight="700" fill="#111827">${e(truncate(report.goal || report.threadId, 110))}</text>`,
    `<text x="12" y="37" font-size="11.5" fill="#6b7280">${e(`${report.status} · thread ${report.threadId} · ${isoTime(report.startedAt)} · ${formatDuration(wall)} wall, ${formatDuration(report.activeMs)} working · ${report.steps.length} steps`)}</text>`,
  );
  // Axis.
  out.push(`<line x1="${LABEL}" y1="${TOP - 4}" x2="${width - 12}" y2="${TOP - 4}" stroke="#d1d5db"/>`);
  for (const b of t.breaks) {
    out.push(
      `<rect x="${X(b.x0).toFixed(1)}" y="${TOP - 16}" width="${(trackW * (b.x1 - b.x0)).toFixed(1)}" height="${bodyH + 16}" fill="url(#brk)"><title>${e(`${b.label} with nothing running (cut from the axis)`)}</title></rect>`,
      `<text x="${X((b.x0 + b.x1) / 2).toFixed(1)}" y="${TOP - 7}" font-size="9.5" text-anchor="middle" fill="#6b7280">⋯${e(b.label)}⋯</text>`,
    );
  }
  for (const k of t.ticks) {
    out.push(
      `<line x1="${X(k.x).toFixed(1)}" y1="${TOP - 4}" x2="${X(k.x).toFixed(1)}" y2="${TOP + bodyH}" stroke="#f1f2f4"/>`,
      `<text x="${X(k.x).toFixed(1)}" y="${TOP - 8}" font-size="10.5" text-anchor="middle" fill="#6b7280">${e(k.label)}</text>`,
    );
  }
  shown.forEach((row, i) => {
    const y = TOP + i * ROW;
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${width}" height="${ROW}" fill="#fafafb"/>`);
    const color =
      row.stepId === null ? "#64748b" : STATUS_COLORS[row.status as keyof typeof STATUS_COLORS].stroke;
    out.push(
      `<circle cx="16" cy="${y + ROW / 2}" r="4" fill="${color}"/>`,
      `<text x="26" y="${y + 15}" font-size="12" font-weight="600" fill="#1f2937">${e(truncate(row.label, 16))}</text>`,
      `<text x="${LABEL - 6}" y="${y + 15}" font-size="10.5" text-anchor="end" fill="#6b7280">${e(truncate(row.sublabel, 11))}</text>`,
    );
    for (const b of row.bars) out.push(bar(b, y, X, trackW));
    for (const m of row.markers) {
      const fill = m.ok === false ? "#b91c1c" : m.ok ? "#15803d" : "#374151";
      const glyph = m.kind === "critic" ? "◆" : m.kind === "approval" ? (m.ok === false ? "✗" : "✓") : "★";
      out.push(
        `<text x="${X(m.x).toFixed(1)}" y="${y + 16}" font-size="13" text-anchor="middle" fill="${fill}" stroke="#fff" stroke-width="2.5" paint-order="stroke">${glyph}<title>${e(`${m.label}: ${m.detail}`)}</title></text>`,
      );
    }
  });
  if (hidden > 0) {
    out.push(
      `<text x="26" y="${TOP + shown.length * ROW + 15}" font-size="11.5" fill="#6b7280" font-style="italic">… ${hidden} more steps (see the HTML report)</text>`,
    );
  }
  for (const g of t.guides) {
    const color = g.kind === "budget" ? "#d64545" : g.kind === "replan" ? "#f08c2e" : "#7c3aed";
    const x = X(g.x).toFixed(1);
    out.push(
      `<line x1="${x}" y1="${TOP - 2}" x2="${x}" y2="${TOP + bodyH}" stroke="${color}" stroke-width="1.6" stroke-dasharray="4 3"><title>${e(`${g.label}: ${g.detail}`)}</title></line>`,
      `<text x="${(+x + 3).toFixed(1)}" y="${TOP + bodyH - 4}" font-size="10" fill="${color}">${e(g.label)}</text>`,
    );
  }
  // Legend.
  const items: [string, string][] = [
    [BAR_COLORS.ok, "attempt"],
    [BAR_COLORS.retried, "failed, retried"],
    [BAR_COLORS.failed, "failed"],
    ["url(#wait)", "waiting for a person"],
  ];
  let lx = 12;
  for (const [fill, text] of items) {
    out.push(
      `<rect x="${lx}" y="${legendY - 9}" width="18" height="10" rx="2" fill="${fill}"${fill.startsWith("url") ? ` stroke="${BAR_COLORS.waitStroke}"` : ""}/>`,
      `<text x="${lx + 23}" y="${legendY}" font-size="11" fill="#4b5563">${e(text)}</text>`,
    );
    lx += 34 + text.length * 6.2;
  }
  out.push(
    `<text x="${lx}" y="${legendY}" font-size="11" fill="#4b5563">◆ critic  ✓✗ approval  ¦ replan / budget stop</text>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} role="img" aria-label="${e(`Timeline of ${report.threadId}`)}">
<title>${e(`Run timeline: ${truncate(report.goal || report.threadId, 120)}`)}</title>
<defs>
<pattern id="wait" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fde7a8"/><rect width="3" height="8" fill="${BAR_COLORS.wait}"/></pattern>
<pattern id="brk" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="3" height="6" fill="#eef0f3"/></pattern>
</defs>
<rect width="100%" height="100%" fill="#ffffff"/>
${out.join("\n")}
</svg>
`;
}

function bar(b: TimelineBar, y: number, X: (x: number) => number, trackW: number): string {
  const x = X(b.x0);
  const w = Math.max(2.5, trackW * (b.x1 - b.x0));
  const title = `<title>${e(b.title)}</title>`;
  if (b.kind === "phase") {
    return `<rect x="${x.toFixed(1)}" y="${y + 6}" width="${w.toFixed(1)}" height="10" fill="${PHASE_COLORS[b.variant] ?? "#cbd5e1"}">${title}</rect>`;
  }
  if (b.kind === "wait") {
    const label =
      w > 46
        ? `<text x="${(x + 4).toFixed(1)}" y="${y + 15}" font-size="10" fill="#78350f">‖ ${e(formatDuration(b.to - b.from))}</text>`
        : "";
    return `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="14" rx="2" fill="url(#wait)" stroke="${BAR_COLORS.waitStroke}">${title}</rect>${label}`;
  }
  const fill =
    b.variant === "ok"
      ? BAR_COLORS.ok
      : b.variant === "retried"
        ? BAR_COLORS.retried
        : b.variant === "failed"
          ? BAR_COLORS.failed
          : BAR_COLORS.approximate;
  const text = `${b.attempt !== null && (b.attempt > 1 || b.variant === "retried") ? `#${b.attempt} ` : ""}${formatDuration(b.to - b.from)}`;
  const label =
    w > text.length * 6 + 6
      ? `<text x="${(x + 4).toFixed(1)}" y="${y + 15}" font-size="10" fill="#fff">${e(text)}</text>`
      : "";
  return `<rect x="${x.toFixed(1)}" y="${y + 5}" width="${w.toFixed(1)}" height="12" rx="2.5" fill="${fill}">${title}</rect>${label}`;
}
