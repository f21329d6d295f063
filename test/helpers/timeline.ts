import { z } from "zod";
import type { PlanTool } from "../../src/tools/types.js";

export interface Span {
  start: number;
  end: number;
}

/**
 * `wait {ms, label}`: sleeps, honouring the abort signal, and records when each label ran and how
 * often its function was entered and completed (for exactly-once assertions).
 */
export function waitTool() {
  const spans = new Map<string, Span>();
  const started = new Map<string, number>();
  const completed = new Map<string, number>();
  const tool: PlanTool<{ ms: number; label: string }> = {
    name: "wait",
    description: "sleeps",
    schema: z.object({ ms: z.number().int().min(0), label: z.string() }).strict(),
    risk: "LOW",
    async run({ ms, label }, ctx) {
      started.set(label, (started.get(label) ?? 0) + 1);
      const start = Date.now();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(new Error("aborted"));
        });
      });
      spans.set(label, { start, end: Date.now() });
      completed.set(label, (completed.get(label) ?? 0) + 1);
      return `${label} done`;
    },
  };
  return { tool, spans, started, completed };
}
