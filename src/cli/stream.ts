import type { BaseMessageChunk } from "@langchain/core/messages";
import type { PlanExecuteAgent } from "../agent.js";
import { resolveSettings, type PlanExecuteContext } from "../graph/context.js";
import { isProgressEvent, type ProgressEvent } from "../graph/events.js";
import type { PlanExecuteStateType } from "../graph/state.js";
import { ProgressRenderer, type Output } from "./render.js";

export interface StreamOptions {
  threadId: string;
  context?: PlanExecuteContext;
  /** One JSON object per line instead of the human-readable log. */
  json: boolean;
  colors: boolean;
  out: Output;
}

/** Runs the graph to its end (or next interrupt), showing progress live; returns the final state. */
export async function streamRun(
  agent: PlanExecuteAgent,
  input: { goal: string } | null,
  options: StreamOptions,
): Promise<PlanExecuteStateType> {
  const config = { configurable: { thread_id: options.threadId }, context: resolveSettings(options.context) };
  const renderer = new ProgressRenderer(options.out, { colors: options.colors });
  const stream = await agent.stream(input, {
    ...config,
    streamMode: ["custom", "messages"] as const,
    recursionLimit: 200,
  });
  for await (const [mode, chunk] of stream) {
    if (mode === "custom" && isProgressEvent(chunk)) {
      if (options.json) options.out.write(`${JSON.stringify(withThread(chunk, options.threadId))}\n`);
      else renderer.event(chunk);
    } else if (mode === "messages" && !options.json) {
      const [message, metadata] = chunk as [BaseMessageChunk, { langgraph_node?: string }];
      if (metadata.langgraph_node === "synthesizer" && typeof message.content === "string") {
        renderer.token(message.content);
      }
    }
  }
  renderer.endAnswer();
  const snapshot = await agent.getState(config);
  return snapshot.values as PlanExecuteStateType;
}

function withThread(event: ProgressEvent, threadId: string) {
  return { thread: threadId, ...event };
}
