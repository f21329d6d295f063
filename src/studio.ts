/**
 * The graph that `langgraph dev` and LangGraph Studio load (see langgraph.json): the same agent and
 * tools as `plan-execute run`. Models come from the environment (OPENAI_API_KEY / OPENAI_BASE_URL /
 * *_MODEL, or a run's context), tool folders from PLAN_EXECUTE_WORKSPACE / PLAN_EXECUTE_OUTBOX /
 * PLAN_EXECUTE_ALLOW_HOSTS, MCP servers from PLAN_EXECUTE_MCP_CONFIG; the server supplies the
 * checkpointer.
 */
import { createPlanExecuteAgent } from "./agent/agent.js";
import { readEnv } from "./config/env.js";
import { createLiveTools } from "./tools/index.js";
import { loadMcpTools } from "./tools/mcp.js";
import { ToolRegistry } from "./tools/registry.js";

const env = readEnv();
const live = createLiveTools(env);
// The server imports this module once; MCP servers are connected then, and only when configured.
const mcp = env.mcpConfig ? await loadMcpTools(env.mcpConfig) : null;

export const graph = createPlanExecuteAgent({
  tools: mcp ? new ToolRegistry([...live.list(), ...mcp.tools]) : live,
});
