/**
 * Escaping for everything the report prints. Every piece of text that comes from a run (goal,
 * step descriptions, args, outputs, errors, the answer) goes through {@link escapeText}; nothing
 * from a run is ever written into the page as markup.
 */

// Characters XML 1.0 does not allow at all (a standalone SVG must stay well-formed).
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text for an HTML/SVG element body or a quoted attribute value. */
export function escapeText(value: unknown): string {
  return String(value ?? "")
    .replace(INVALID_XML, "\uFFFD")
    .replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** Shortens text to `max` characters (with an ellipsis); the result still needs escaping. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** A duration in ms as "850 ms", "2.4 s", "3 m 05 s", "2 h 03 m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 2 : 1)} s`;
  const s = Math.round(abs / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, "0")} s`;
  const m = Math.round(s / 60);
  if (m < 48 * 60) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} m`;
  return `${Math.floor(m / 1440)} d ${Math.floor((m % 1440) / 60)} h`;
}

/** An offset from the run's start for axis labels: "0", "1.5s", "2m", "1h05m". */
export function formatOffset(ms: number): string {
  if (ms <= 0) return "0";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
  if (ms < 3_600_000) {
    const m = Math.floor(ms / 60_000);
    const s = Math.round((ms % 60_000) / 1000);
    return s ? `${m}m${String(s).padStart(2, "0")}s` : `${m}m`;
  }
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  return m ? `${h}h${String(m).padStart(2, "0")}m` : `${h}h`;
}

export function formatUsd(usd: number | null): string {
  if (usd === null) return "–";
  if (usd === 0) return "$0";
  return usd < 0.01 ? `$${usd.toFixed(5)}` : `$${usd.toFixed(4)}`;
}

export function formatTokens(n: number): string {
  return n.toLocaleString("en-US");
}

export function isoTime(ms: number | null): string {
  return ms === null
    ? "–"
    : new Date(ms)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
}
