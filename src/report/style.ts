import type { ReportStepStatus } from "./model.js";

/** Fill and stroke per step status, shared by the plan graph, the Gantt and the SVG timeline. */
export const STATUS_COLORS: Record<ReportStepStatus, { fill: string; stroke: string; text: string }> = {
  succeeded: { fill: "#e3f4ea", stroke: "#2f9e63", text: "#14532d" },
  failed: { fill: "#fde8e8", stroke: "#d64545", text: "#7f1d1d" },
  rejected: { fill: "#fbe7f1", stroke: "#b03a78", text: "#701a48" },
  skipped: { fill: "#f1f3f5", stroke: "#9aa0a6", text: "#4b5563" },
  pending: { fill: "#f8fafc", stroke: "#94a3b8", text: "#334155" },
  running: { fill: "#e0ecff", stroke: "#3b82f6", text: "#1e3a8a" },
  waiting: { fill: "#fff4d6", stroke: "#d99a06", text: "#78350f" },
};

/** Bar colours of the timeline. */
export const BAR_COLORS = {
  ok: "#2f9e63",
  retried: "#f08c2e",
  failed: "#d64545",
  approximate: "#7aa7d9",
  wait: "#f5b83d",
  waitStroke: "#c58a06",
} as const;

/** The run row: what the agent was doing between checkpoints. */
export const PHASE_COLORS: Record<string, string> = {
  start: "#cbd5e1",
  planner: "#a78bfa",
  review_plan: "#fcd34d",
  executor: "#93c5fd",
  evaluator: "#5eead4",
  approve_steps: "#fcd34d",
  budget: "#fca5a5",
  replanner: "#fdba74",
  synthesizer: "#a5b4fc",
};

export const STATUS_ICON: Record<ReportStepStatus, string> = {
  succeeded: "✔",
  failed: "✖",
  rejected: "⊘",
  skipped: "↷",
  pending: "·",
  running: "▶",
  waiting: "‖",
};
