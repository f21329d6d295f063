/**
 * Readable LangSmith runs for plan steps, on LangChain's own callback system: whatever tracer the
 * run has (`LANGSMITH_TRACING=true`, or a `LangChainTracer` in the invoke config's callbacks) sees
 * them, and nothing here reads the environment or talks to LangSmith itself.
 *
 * The trace of a run looks like this (the step tasks hang off the graph run, beside the
 * executor node, because LangGraph starts every `task()` from the graph's own callback manager):
 *
 *     LangGraph                       thread_id (on every run below too)
 *     ├─ planner / executor / …       langgraph_node
 *     └─ step_2 · calculator          step_id, tool, risk, plan_version, step_status, attempts
 *        ├─ step_2 · calculator #1    tool run: step_id, tool, risk, attempt; args in, output out / error
 *        └─ step_2 · calculator #2
 */
import type { CallbackManager } from "@langchain/core/callbacks/manager";
import { getCallbackManagerForConfig, patchConfig, type RunnableConfig } from "@langchain/core/runnables";
import { AsyncLocalStorageProviderSingleton } from "@langchain/core/singletons";
import { LangChainTracer } from "@langchain/core/tracers/tracer_langchain";

/** Metadata values LangSmith can filter on. */
export type RunMetadata = Record<string, string | number | boolean | string[] | null>;

/** The name of a step's task run (and the prefix of its tool runs): `step_3 · calculator`. */
export function stepRunName(step: { id: string; tool: string }): string {
  return `${step.id} · ${step.tool}`;
}

/** The config of the runnable (node or task) executing right now, if any. */
function currentConfig(): RunnableConfig | undefined {
  return AsyncLocalStorageProviderSingleton.getRunnableConfig() as RunnableConfig | undefined;
}

/**
 * Adds metadata to the run that is executing right now — inside a step, its LangGraph task run.
 * LangGraph gives a task run only the metadata of the node that called it, and no config can be
 * passed per call; so this sets it on the tracer's live run, as RunTree's `metadata` setter and
 * core's own `onLLMEnd` (usage) do. The run's final update carries it to LangSmith.
 * Without a tracer it does nothing.
 */
export function annotateCurrentRun(metadata: RunMetadata): void {
  const callbacks = currentConfig()?.callbacks;
  if (!callbacks || Array.isArray(callbacks)) return;
  const runId = (callbacks as CallbackManager).getParentRunId();
  if (!runId) return;
  for (const handler of (callbacks as CallbackManager).handlers) {
    if (!(handler instanceof LangChainTracer)) continue;
    const run = handler.getRun(runId);
    if (run) run.extra = { ...run.extra, metadata: { ...run.extra?.metadata, ...metadata } };
  }
}

/**
 * Runs one step inside its task run: the step's metadata on that run up front (what it is), how
 * it ended at the end (`step_status`, `attempts`), so a trace can be filtered by step, tool, risk
 * and outcome. Used by the executor and by the streaming planner's early steps alike.
 */
export async function annotatedStepRun<T extends { status: string; attempts?: number }>(
  metadata: RunMetadata,
  run: () => Promise<T>,
): Promise<T> {
  annotateCurrentRun(metadata);
  const outcome = await run();
  annotateCurrentRun({
    step_status: outcome.status,
    ...(typeof outcome.attempts === "number" ? { attempts: outcome.attempts } : {}),
  });
  return outcome;
}

export interface ToolRunSpec {
  name: string;
  /** The tool's name, shown as the run's serialized id. */
  tool: string;
  inputs: Record<string, unknown>;
  /** Inherited by runs inside the tool (e.g. the chat model call of an LLM step). */
  metadata: RunMetadata;
}

/**
 * Runs `fn` as a child run of type "tool" of the runnable executing now: inputs, then the output
 * or the error. Runs inside `fn` that use the ambient config (a tool's model call) nest under it.
 * Outside a runnable, or with no callbacks, it just calls `fn`.
 */
export async function traceToolRun<T>(spec: ToolRunSpec, fn: () => Promise<T>): Promise<T> {
  const config = currentConfig();
  const manager = config?.callbacks ? await getCallbackManagerForConfig(config) : undefined;
  if (!config || !manager) return fn();
  manager.addMetadata(spec.metadata);
  const runManager = await manager.handleToolStart(
    { lc: 1, type: "not_implemented", id: ["langgraph_plan_execute", "tools", spec.tool] },
    spec.inputs,
    undefined,
    undefined,
    undefined,
    undefined,
    spec.name,
  );
  const childConfig = patchConfig(config, { callbacks: runManager.getChild() });
  let output: T;
  try {
    output = await AsyncLocalStorageProviderSingleton.runWithConfig(childConfig, fn, true);
  } catch (err) {
    await runManager.handleToolError(err);
    throw err;
  }
  await runManager.handleToolEnd(output);
  return output;
}
