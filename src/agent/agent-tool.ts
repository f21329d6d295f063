import { randomUUID } from "node:crypto";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { tool } from "@langchain/core/tools";
import { z } from "zod";
import type { PlanExecuteAgent } from "./agent.js";
import type { PlanExecuteContext } from "../core/settings.js";
import type { ApprovalRequest } from "../core/decisions.js";

export interface PlanExecuteToolOptions {
  /** Default "plan_and_execute". */
  name?: string;
  /** What the calling model reads to decide when to use the tool. */
  description?: string;
  /**
   * Settings of every run the tool starts (over the agent's defaults). With the default policies
   * a run may stop for a person; `{ approvePlan: "never", autoApprove: "HIGH" }` never stops.
   */
  context?: PlanExecuteContext;
  /** The thread of each run. Default `plan-execute-tool-<uuid>`: every call is a fresh run. */
  threadId?: (goal: string) => string;
  /** LangGraph's recursion limit of each run. Default 200. */
  recursionLimit?: number;
}

const DESCRIPTION =
  "Achieves a multi-step goal by planning tool calls (search, calculator, data and file tools, LLM steps), " +
  "running them and writing an answer from their results. Give the whole goal in plain language, with every " +
  "detail the answer needs. Returns the final answer, or says why the run stopped without one.";

const GoalSchema = z.object({
  goal: z
    .string()
    .min(1)
    .describe("The goal, in plain language, e.g. 'Compare NVIDIA's and AMD's 2024 revenue'."),
});

/** One line per waiting decision, for the calling model and its user. */
function describeRequest(request: ApprovalRequest): string {
  switch (request.type) {
    case "plan_approval":
      return `approval of plan v${request.version} (${request.steps.map((s) => `${s.id}: ${s.tool}`).join(", ")})`;
    case "step_approval":
      return `approval of ${request.steps.map((s) => `step ${s.stepId} (${s.tool}, ${s.risk} risk)`).join(", ")}`;
    case "low_confidence":
      return `a review of ${request.steps.map((s) => `step ${s.stepId} (confidence ${s.confidence.toFixed(2)} < ${s.threshold})`).join(", ")}`;
    case "budget":
      return `a budget decision (${request.exceeded.map((e) => `${e.key}: used ${e.used} of ${e.limit}`).join(", ")})`;
  }
}

/**
 * The agent as a LangChain tool (`{ goal }` in, the final answer out) for another agent to call.
 * Each call runs on a fresh thread of its own, apart from the calling graph's (its checkpoints
 * go to the agent's checkpointer, not the caller's). A run that stops for a person's decision,
 * fails, or needs a checkpointer it lacks comes back as a message saying so, never as a hang; a
 * stopped run can be resumed on the thread the message names.
 *
 * @example
 * const planExecute = createPlanExecuteTool(createPlanExecuteAgent({ checkpointer: new MemorySaver() }));
 * const outer = createReactAgent({ llm, tools: [planExecute] });
 */
export function createPlanExecuteTool(agent: PlanExecuteAgent, options: PlanExecuteToolOptions = {}) {
  const name = options.name ?? "plan_and_execute";
  return tool(
    async ({ goal }, config) => {
      const threadId = options.threadId?.(goal) ?? `plan-execute-tool-${randomUUID()}`;
      const runConfig = {
        configurable: { thread_id: threadId },
        recursionLimit: options.recursionLimit ?? 200,
        ...(options.context ? { context: options.context } : {}),
        ...(config?.signal ? { signal: config.signal } : {}),
        // Traces nest under the tool call.
        ...(config?.callbacks ? { callbacks: config.callbacks } : {}),
      };
      let result;
      try {
        // Started outside the caller's graph context: inside it, LangGraph would run the agent as a
        // subgraph of the caller (its checkpointer and namespace, its interrupts stopping the caller).
        result = await AsyncLocalStorageProviderSingleton.getInstance().run(undefined, () =>
          agent.invoke({ goal }, runConfig),
        );
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (/No checkpointer set/.test(message)) {
          return (
            `${name} stopped without an answer: the run needs a person's decision, and the agent has no ` +
            "checkpointer to wait with. Create it with a checkpointer, or give the tool a context that never " +
            'stops ({ approvePlan: "never", autoApprove: "HIGH" }).'
          );
        }
        throw err;
      }
      const interrupts = (result as { __interrupt__?: { value: unknown }[] }).__interrupt__ ?? [];
      if (interrupts.length > 0) {
        const waiting = interrupts.map((i) => describeRequest(i.value as ApprovalRequest)).join("; ");
        return (
          `${name} stopped without an answer: the run waits for a person's decision: ${waiting}. ` +
          `Nothing after that point ran. Thread "${threadId}" can be resumed with Command({ resume }).`
        );
      }
      if (result.finalAnswer !== null) return result.finalAnswer;
      return `${name} failed without an answer: ${result.error ?? "the run ended without a final answer"}`;
    },
    { name, description: options.description ?? DESCRIPTION, schema: GoalSchema },
  );
}
