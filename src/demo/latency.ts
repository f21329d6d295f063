import type { PlanTool } from "../tools/types.js";

/**
 * Adds a simulated network delay to a tool, so that the offline demo shows parallel steps
 * overlapping as they would against real services. The delay is fixed per args (a hash), so
 * runs are repeatable. Used only by the demo; never by a live run.
 */
export function withSimulatedLatency<A>(tool: PlanTool<A>, minMs: number, maxMs: number): PlanTool<A> {
  return {
    ...tool,
    async run(args, ctx) {
      const delay = minMs + (hash(JSON.stringify(args)) % Math.max(1, maxMs - minMs));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, delay);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          reject(ctx.signal.reason as Error);
        });
      });
      return tool.run(args, ctx);
    },
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
