/**
 * The agent as a subgraph of a parent LangGraph app. The parent's `research` node maps its state
 * to the agent's input (`{ goal }`) and the agent's result back (`finalAnswer` → `answer`).
 * Called inside a node, the compiled agent runs as a subgraph: it saves into the parent's
 * checkpointer, its progress events stream through the parent (`subgraphs: true`), and its stops
 * for a person (here: approve the plan) stop the parent, which resumes them with `Command({ resume })`.
 *
 *   npx tsx examples/subgraph.ts
 *
 * Offline (scripted models, real tools) unless OPENAI_API_KEY or OPENAI_BASE_URL is set.
 * In your app, import from "langgraph-plan-execute" instead of "../src/index.js".
 */
import { pathToFileURL } from "node:url";
import { Command, END, MemorySaver, START, StateGraph, StateSchema } from "@langchain/langgraph";
import { z } from "zod";
import { hasLiveModel, readEnv } from "../src/config/env.js";
import {
  createPlanExecuteAgent,
  isProgressEvent,
  type ApprovalRequest,
  type ProgressEvent,
} from "../src/index.js";
import { REVENUE_GOAL, revenueModels } from "./offline.js";
import { describeEvent, type ExampleOptions } from "./plain-node.js";

const ParentState = new StateSchema({
  question: z.string(),
  answer: z.string().nullable().default(null),
  report: z.string().default(""),
});

export function buildParentApp(options: { live: boolean }) {
  // No checkpointer of its own: as a subgraph it uses the parent's.
  const agent = createPlanExecuteAgent({
    ...(options.live ? {} : { models: revenueModels(), toolSuite: {} }),
    policies: { approvePlan: "always" },
  });
  return new StateGraph(ParentState)
    .addNode("research", async (state: typeof ParentState.State) => {
      const result = await agent.invoke({ goal: state.question });
      return { answer: result.finalAnswer ?? `No answer: ${result.error ?? "the run ended early"}` };
    })
    .addNode("write_report", (state: typeof ParentState.State) => ({
      report: `Q: ${state.question}\nA: ${state.answer}`,
    }))
    .addEdge(START, "research")
    .addEdge("research", "write_report")
    .addEdge("write_report", END)
    .compile({ checkpointer: new MemorySaver() });
}

export async function main(options: ExampleOptions = {}) {
  const live = options.live ?? hasLiveModel(readEnv());
  const log = options.log ?? console.log;
  const app = buildParentApp({ live });
  const config = { configurable: { thread_id: "parent-1" } };
  const events: { namespace: string; event: ProgressEvent }[] = [];
  const requests: ApprovalRequest[] = [];

  /** Streams the parent, with the agent's progress events from inside the subgraph. */
  const drive = async (input: unknown) => {
    const stream = await app.stream(input as never, {
      ...config,
      streamMode: ["custom", "updates"],
      subgraphs: true,
    });
    for await (const [namespace, mode, chunk] of stream) {
      if (mode === "custom" && isProgressEvent(chunk)) {
        events.push({ namespace: namespace.join("/"), event: chunk });
        log(`[${namespace.join("/")}] ${describeEvent(chunk).trim()}`);
      }
      // The stop shows up at the parent (namespace []), where it is resumed.
      if (
        mode === "updates" &&
        namespace.length === 0 &&
        typeof chunk === "object" &&
        "__interrupt__" in chunk
      ) {
        for (const i of (chunk as { __interrupt__: { value: ApprovalRequest }[] }).__interrupt__) {
          requests.push(i.value);
          log(`waiting for a person: ${i.value.type}`);
        }
      }
    }
  };

  await drive({ question: options.goal ?? REVENUE_GOAL });
  // The parent stopped where the agent stopped: approve the plan, as a person would.
  await drive(new Command({ resume: { action: "approve" } }));
  const state = (await app.getState(config)).values as typeof ParentState.State;
  log(state.report);
  return { requests, events, answer: state.answer, report: state.report };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main({ goal: process.argv[2] });
}
