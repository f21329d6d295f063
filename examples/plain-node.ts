/**
 * The agent in a plain Node app: `invoke` for the final state, `stream` for live progress events.
 *
 *   npx tsx examples/plain-node.ts ["your goal"]
 *
 * Offline (scripted models answering the bundled revenue question with the real search and
 * calculator tools) unless OPENAI_API_KEY or OPENAI_BASE_URL is set; then the models are real and
 * the goal is yours. In your app, import from "langgraph-plan-execute" instead of "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import { MemorySaver } from "@langchain/langgraph";
import { hasLiveModel, readEnv } from "../src/config/env.js";
import { createPlanExecuteAgent, isProgressEvent, type ProgressEvent } from "../src/index.js";
import { REVENUE_GOAL, revenueModels } from "./offline.js";

export interface ExampleOptions {
  /** Real models from the environment. Default: when OPENAI_API_KEY or OPENAI_BASE_URL is set. */
  live?: boolean;
  goal?: string;
  log?: (line: string) => void;
}

/** One line per progress event, as an app might show it. */
export function describeEvent(e: ProgressEvent): string {
  switch (e.type) {
    case "plan_created":
      return `plan v${e.version}: ${e.steps.map((s) => `${s.id} (${s.tool})`).join(", ")}`;
    case "step_started":
      return `  ${e.stepId} started`;
    case "step_finished":
      return `  ${e.stepId} finished in ${e.durationMs} ms`;
    case "step_failed":
      return `  ${e.stepId} failed: ${e.error}`;
    case "step_evaluated":
      return `  ${e.stepId} ${e.ok ? "checked" : `rejected: ${e.reason}`}`;
    case "final":
      return `answer ready${e.partial ? " (partial)" : ""}`;
    case "answer_reviewed":
      return e.passed ? "answer passed review" : `answer review found: ${e.findings.join(" ")}`;
    default:
      return `  ${e.type}`;
  }
}

export async function main(options: ExampleOptions = {}) {
  const live = options.live ?? hasLiveModel(readEnv());
  const goal = options.goal ?? REVENUE_GOAL;
  const log = options.log ?? console.log;
  const agent = createPlanExecuteAgent({
    // Offline: two runs of the scripted revenue question, and the bundled corpus even if TAVILY_API_KEY is set.
    ...(live ? {} : { models: revenueModels(2), toolSuite: {} }),
    checkpointer: new MemorySaver(),
    limits: { maxSteps: 6, maxCostUsd: 0.25 },
  });

  // 1. invoke: the final state.
  const invoked = await agent.invoke({ goal }, { configurable: { thread_id: "plain-invoke" } });
  log(`invoke: ${invoked.finalAnswer ?? invoked.error}`);

  // 2. stream: progress events ("custom") as they happen, with this invocation's own settings.
  const config = { configurable: { thread_id: "plain-stream" }, context: { maxConcurrency: 2 } };
  const events: ProgressEvent[] = [];
  for await (const [mode, chunk] of await agent.stream(
    { goal },
    { ...config, streamMode: ["custom", "updates"] },
  )) {
    if (mode === "custom" && isProgressEvent(chunk)) {
      events.push(chunk);
      log(describeEvent(chunk));
    }
  }
  const streamed = (await agent.getState(config)).values;
  log(`stream: ${streamed.finalAnswer ?? streamed.error}`);
  return { invoked: invoked.finalAnswer, streamed: streamed.finalAnswer, events, state: streamed };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ goal: process.argv[2] });
}
