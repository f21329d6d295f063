/**
 * The graph that `langgraph dev` and LangGraph Studio load (see langgraph.json): the same agent and
 * tools as `plan-execute run`. Models come from the environment (OPENAI_API_KEY / OPENAI_BASE_URL /
 * *_MODEL, or a run's context), tool folders from PLAN_EXECUTE_WORKSPACE / PLAN_EXECUTE_OUTBOX /
 * PLAN_EXECUTE_ALLOW_HOSTS; the server supplies the checkpointer.
 */
import { createPlanExecuteAgent } from "./agent.js";
import { readEnv } from "./config/env.js";
import { createLiveTools } from "./tools/index.js";

export const graph = createPlanExecuteAgent({ tools: createLiveTools(readEnv()) });
