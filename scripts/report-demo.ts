/**
 * An offline run that shows what a report can show: the `email` scenario (two parallel searches,
 * an LLM extraction checked by the critic, a calculation, then a HIGH-risk email that waits for
 * approval) with one search failing once with a transient error, so that step is retried.
 * Used by `npm run report:screenshot` and the report's browser test.
 */
import { Command, MemorySaver, type BaseCheckpointSaver } from "@langchain/langgraph";
import { createPlanExecuteAgent, type PlanExecuteAgent } from "../src/agent/agent.js";
import { ratioScenario } from "../src/demo/ratio.js";
import { emailScenario } from "../src/demo/email.js";
import { scenarioModels } from "../src/demo/agent.js";
import { withSimulatedLatency } from "../src/demo/latency.js";
import { createSendEmailTool } from "../src/tools/email.js";
import { calculatorTool, llmTool, searchTool, summarizeTool, ToolRegistry } from "../src/tools/index.js";
import { TransientToolError, type PlanTool } from "../src/tools/types.js";

export interface ReportDemoOptions {
  checkpointer?: BaseCheckpointSaver;
  outbox: string;
  threadId?: string;
  /** How long the "person" takes to approve the email. */
  approvalDelayMs?: number;
}

export interface ReportDemo {
  agent: PlanExecuteAgent;
  threadId: string;
}

const FLAKY_QUERY = "AMD revenue 2024";

/** Search that fails once (after 300 ms) for one query, the way a busy backend answers 503. */
function flakySearch(): PlanTool<any> {
  const search = withSimulatedLatency(searchTool, 250, 900);
  let failed = false;
  return {
    ...search,
    async run(args: { query: string }, ctx) {
      if (!failed && args.query === FLAKY_QUERY) {
        failed = true;
        await new Promise((r) => setTimeout(r, 300));
        throw new TransientToolError("503 Service Unavailable: search backend busy");
      }
      return search.run(args as never, ctx);
    },
  };
}

export async function runReportDemo(options: ReportDemoOptions): Promise<ReportDemo> {
  const scenario = {
    ...emailScenario,
    script: { ...emailScenario.script, evaluator: ratioScenario.script.evaluator ?? [] },
  };
  const agent = createPlanExecuteAgent({
    models: scenarioModels(scenario),
    tools: new ToolRegistry([
      calculatorTool,
      flakySearch(),
      llmTool,
      summarizeTool,
      createSendEmailTool({ outbox: options.outbox }),
    ]),
    checkpointer: options.checkpointer ?? new MemorySaver(),
  });
  const threadId = options.threadId ?? "report-demo";
  const config = { configurable: { thread_id: threadId } };
  const context = {
    critic: "llm_steps" as const,
    retryBaseDelayMs: 400,
    maxRetries: 2,
    // The scripted models priced like gpt-4o-mini, so the report has costs to show.
    prices: { "scripted-": { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
  };
  await agent.invoke({ goal: scenario.goal, runSettings: context }, { ...config, context });
  const paused = await agent.getState(config);
  if (!paused.tasks.some((t) => t.interrupts.length > 0))
    throw new Error("the demo run did not stop for the email's approval");
  await new Promise((r) => setTimeout(r, options.approvalDelayMs ?? 1500));
  await agent.invoke(new Command({ resume: { action: "approve" } }), config);
  return { agent, threadId };
}
