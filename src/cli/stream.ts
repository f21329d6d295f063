import type { BaseMessageChunk } from "@langchain/core/messages";
import type { Command } from "@langchain/langgraph";
import type { PlanExecuteAgent } from "../agent/agent.js";
import { resolveSettings, type PlanExecuteContext } from "../core/settings.js";
import type { ApprovalRequest } from "../core/decisions.js";
import { isProgressEvent, type ProgressEvent } from "../core/events.js";
import type { PlanExecuteStateType } from "../core/state.js";
import { LiveTable } from "./live-table.js";
import { ProgressRenderer, type Output } from "./render.js";

export interface StreamOptions {
  threadId: string;
  /** Settings for a new run; a resume passes none, so the run's own settings apply. */
  context?: PlanExecuteContext;
  /** One JSON object per line instead of the human-readable view. */
  json: boolean;
  /** A terminal: the live table with spinners; otherwise a plain log. */
  tty: boolean;
  out: Output;
  /** Aborts the run (e.g. when the thread's lease is lost). */
  signal?: AbortSignal;
}

export interface PendingApproval {
  interruptId: string;
  request: ApprovalRequest;
}

export interface StreamResult {
  state: PlanExecuteStateType;
  pending: PendingApproval[];
}

interface View {
  event(e: ProgressEvent): void;
  token(text: string): void;
  endAnswer(): void;
}

/** Runs the graph to its end or its next stop, showing progress live; returns the state and what waits. */
export async function streamRun(
  agent: PlanExecuteAgent,
  input: { goal: string } | Command | null,
  options: StreamOptions,
): Promise<StreamResult> {
  // Checked here for a readable error before anything runs, but passed as given: the run stores
  // what the caller chose, and the agent's own defaults still apply to everything else.
  if (options.context) resolveSettings(options.context);
  const config = {
    configurable: { thread_id: options.threadId },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.context ? { context: options.context } : {}),
  };
  const view: View | undefined = options.json
    ? undefined
    : options.tty
      ? new LiveTable(options.out)
      : new ProgressRenderer(options.out, { colors: false });
  if (view instanceof LiveTable && !(input && "goal" in input)) {
    // A resume: start the table from the thread as saved.
    const before = (await agent.getState(config)).values as Partial<PlanExecuteStateType>;
    view.seed(before.plan ?? [], before.steps ?? {});
  }
  try {
    // A new run saves its settings with its input: a crash before the planner finishes loses nothing.
    const withSettings =
      input && "goal" in input && options.context ? { ...input, runSettings: options.context } : input;
    const stream = await agent.stream(withSettings as never, {
      ...config,
      streamMode: ["custom", "messages"] as const,
      recursionLimit: 200,
    });
    for await (const [mode, chunk] of stream) {
      if (mode === "custom" && isProgressEvent(chunk)) {
        if (view) view.event(chunk);
        else options.out.write(`${JSON.stringify({ thread: options.threadId, ...chunk })}\n`);
      } else if (mode === "messages" && view) {
        const [message, metadata] = chunk as [BaseMessageChunk, { langgraph_node?: string }];
        if (metadata.langgraph_node === "synthesizer" && typeof message.content === "string")
          view.token(message.content);
      }
    }
  } finally {
    view?.endAnswer();
  }
  const snapshot = await agent.getState(config);
  const pending = snapshot.tasks.flatMap((t) =>
    t.interrupts.map((i) => ({ interruptId: i.id ?? "", request: i.value as ApprovalRequest })),
  );
  if (view instanceof LiveTable) {
    view.waiting(
      pending.flatMap((p) =>
        p.request.type === "step_approval" || p.request.type === "low_confidence"
          ? p.request.steps.map((s) => s.stepId)
          : [],
      ),
    );
  }
  return { state: snapshot.values as PlanExecuteStateType, pending };
}
