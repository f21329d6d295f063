import { z } from "zod";

/**
 * Run-time settings of the graph: what LangGraph Studio shows in its configuration panel and
 * what `invoke(input, { context })` accepts. Every field has a default, so `{}` is valid.
 */
export const PlanExecuteContextSchema = z.object({
  plannerModel: z
    .string()
    .nullable()
    .default(null)
    .describe("Chat model for the planner and replanner (e.g. gpt-4o-mini)."),
  executorModel: z.string().nullable().default(null).describe("Chat model for LLM steps."),
  evaluatorModel: z.string().nullable().default(null).describe("Chat model for the step critic."),
  synthesizerModel: z.string().nullable().default(null).describe("Chat model that writes the final answer."),
  maxSteps: z.number().int().min(1).max(100).default(12).describe("Largest plan the planner may write."),
  maxPlanAttempts: z
    .number()
    .int()
    .min(1)
    .max(10)
    .default(3)
    .describe("How often an invalid plan is sent back to the planner before the run gives up."),
  maxReplans: z.number().int().min(0).max(10).default(2).describe("Recovery plans allowed per run."),
  maxConcurrency: z.number().int().min(1).max(64).default(4).describe("Steps that may run at the same time."),
  stepTimeoutMs: z.number().int().min(1).default(60_000).describe("Time limit of one attempt of one step."),
  maxRetries: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(2)
    .describe("Retries of a step after a transient error."),
  retryBaseDelayMs: z.number().int().min(0).default(250).describe("First retry delay; doubles each retry."),
  retryMaxDelayMs: z.number().int().min(0).default(5_000).describe("Upper bound of one retry delay."),
  critic: z
    .enum(["off", "llm_steps", "all"])
    .default("off")
    .describe("Which finished steps the LLM critic checks against their expected_output."),
});

export type PlanExecuteContext = z.input<typeof PlanExecuteContextSchema>;
export type Settings = z.output<typeof PlanExecuteContextSchema>;

/** Fills defaults; throws a readable error for an invalid setting. */
export function resolveSettings(context: unknown): Settings {
  const result = PlanExecuteContextSchema.safeParse(context ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(context)"}: ${i.message}`);
  throw new Error(`Invalid plan-execute settings: ${problems.join("; ")}`);
}
