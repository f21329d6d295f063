import { z } from "zod";
import { ToolRegistry } from "../../src/tools/registry.js";
import type { PlanTool, RiskTier } from "../../src/tools/types.js";

/** A tool whose behaviour a test scripts: it records every call and answers with `impl`. */
export function fakeTool<A extends Record<string, unknown>>(
  name: string,
  schema: z.ZodType<A>,
  impl: (args: A, signal: AbortSignal) => Promise<unknown> | unknown,
  risk: RiskTier = "LOW",
): PlanTool<A> & { calls: A[] } {
  const calls: A[] = [];
  return {
    name,
    description: `test tool ${name}`,
    schema,
    risk,
    calls,
    async run(args, ctx) {
      calls.push(args);
      return impl(args, ctx.signal);
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `echo {text}` and `add {a, b}`: enough tools for validation tests. */
export function basicRegistry(): ToolRegistry {
  return new ToolRegistry([
    fakeTool("echo", z.object({ text: z.string() }).strict(), (a) => a.text),
    fakeTool("add", z.object({ a: z.number(), b: z.number() }).strict(), (a) => a.a + a.b),
  ]);
}
