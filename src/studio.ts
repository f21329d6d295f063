/**
 * The graph that `langgraph dev` and LangGraph Studio load (see langgraph.json). Models come from
 * the environment (OPENAI_API_KEY / OPENAI_BASE_URL / *_MODEL); the server supplies the checkpointer.
 */
import { createPlanExecuteAgent } from "./agent.js";

export const graph = createPlanExecuteAgent();
