import { escapeText as e } from "../src/report/escape.js";

export interface ChartGroup {
  label: string;
  /** One value per series, in the order of {@link BarChart.series}; NaN leaves the bar out. */
  values: number[];
}

export interface BarChart {
  title: string;
  /** What the values measure, shown under the title (e.g. "CPU µs per step, log scale"). */
  subtitle: string;
  series: string[];
  groups: ChartGroup[];
  /** Formats a value for its label. */
  format: (value: number) => string;
  /** Log scale, for values that span orders of magnitude. */
  log?: boolean;
  /** A vertical reference line (e.g. the critical path at 1.0, a target). */
  marker?: { value: number; label: string };
}

const COLORS = ["#2563eb", "#f59e0b", "#9ca3af", "#10b981"];
const FONT = `font-family="system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif"`;
const WIDTH = 760;
const LABEL = 210;
const BAR = 14;
const GAP = 12;

/** A horizontal grouped bar chart as a standalone SVG: one group per row, one bar per series. */
export function barChart(chart: BarChart): string {
  const values = chart.groups.flatMap((g) => g.values).filter((v) => Number.isFinite(v) && v > 0);
  const markerValue = chart.marker?.value ?? 0;
  const max = Math.max(...values, markerValue);
  const min = Math.min(...values, markerValue || Infinity);
  const track = WIDTH - LABEL - 90;
  const lo = chart.log ? Math.floor(Math.log10(min)) : 0;
  const hi = chart.log ? Math.ceil(Math.log10(max)) : max;
  const x = (v: number) =>
    LABEL + (chart.log ? ((Math.log10(v) - lo) / Math.max(1e-9, hi - lo)) * track : (v / hi) * track);
  const top = 62;
  const groupH = chart.series.length * BAR + GAP;
  const bodyH = chart.groups.length * groupH;
  const height = top + bodyH + 30;
  const out: string[] = [
    `<text x="12" y="22" font-size="15" font-weight="700" fill="#111827">${e(chart.title)}</text>`,
    `<text x="12" y="40" font-size="12" fill="#6b7280">${e(chart.subtitle)}</text>`,
  ];
  chart.series.forEach((name, i) => {
    const lx = 12 + i * 190;
    out.push(
      `<rect x="${lx}" y="${height - 20}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${lx + 14}" y="${height - 11}" font-size="11.5" fill="#374151">${e(name)}</text>`,
    );
  });
  if (chart.log) {
    for (let p = lo; p <= hi; p++) {
      const gx = x(10 ** p);
      out.push(
        `<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + bodyH - GAP}" stroke="#e5e7eb"/>`,
        `<text x="${gx}" y="${top - 9}" font-size="10" fill="#9ca3af" text-anchor="middle">${e(chart.format(10 ** p))}</text>`,
      );
    }
  }
  chart.groups.forEach((group, gi) => {
    const gy = top + gi * groupH;
    out.push(
      `<text x="${LABEL - 8}" y="${gy + (chart.series.length * BAR) / 2 + 4}" font-size="12" fill="#111827" text-anchor="end">${e(group.label)}</text>`,
    );
    group.values.forEach((v, si) => {
      if (!Number.isFinite(v) || v <= 0) return;
      const y = gy + si * BAR;
      const w = Math.max(1, x(v) - LABEL);
      out.push(
        `<rect x="${LABEL}" y="${y}" width="${w.toFixed(1)}" height="${BAR - 2}" fill="${COLORS[si % COLORS.length]}"/>`,
        `<text x="${(LABEL + w + 4).toFixed(1)}" y="${y + BAR - 4}" font-size="10.5" fill="#374151">${e(chart.format(v))}</text>`,
      );
    });
  });
  if (chart.marker) {
    const mx = x(chart.marker.value);
    out.push(
      `<line x1="${mx}" y1="${top - 6}" x2="${mx}" y2="${top + bodyH - GAP}" stroke="#dc2626" stroke-dasharray="4 3"/>`,
      `<text x="${mx + 3}" y="${top - 9}" font-size="10.5" fill="#dc2626">${e(chart.marker.label)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT}>
<rect width="100%" height="100%" fill="#ffffff"/>
${out.join("\n")}
</svg>
`;
}
