import { START, type BaseCheckpointSaver } from "@langchain/langgraph";
import { PLAN_EXECUTE_NODES, planExecuteStateGraph, type PlanExecuteNodeName } from "./shape.js";

function readOnly(): never {
  throw new Error("this graph only reads threads: it has no node code (use buildPlanExecuteGraph to run)");
}

/**
 * A graph that reads plan-and-execute threads (`getState`, `getStateHistory`: `readThread`,
 * `listThreads`, `threadHistory`, run reports) without importing any node, model or tool: the
 * same schemas, channels and node names as {@link buildPlanExecuteGraph}'s graph, so LangGraph
 * works out the same state, next nodes and pending stops, but every node throws if run. The routing
 * edges are not the real ones: a conditional edge adds no channel and no trigger, it only decides
 * where a running node goes next. Not for `forkThread`, which applies an update as a node and runs a stop.
 *
 * @example
 * const view = await readThread(threadReader(saver), "t1");
 */
export function threadReader(checkpointer: BaseCheckpointSaver) {
  const nodes = Object.fromEntries(PLAN_EXECUTE_NODES.map((name) => [name, readOnly]));
  return (
    planExecuteStateGraph()
      .addNode(nodes as Record<PlanExecuteNodeName, typeof readOnly>)
      .addEdge(START, "start")
      // Only so that LangGraph sees every node as reachable; it is never taken.
      .addConditionalEdges(
        "start",
        readOnly,
        PLAN_EXECUTE_NODES.filter((name) => name !== "start"),
      )
      .compile({ checkpointer })
  );
}
