/**
 * `langgraph-plan-execute/testing`: scripted chat models (each test states what a model "says") and
 * an OpenAI-compatible HTTP server that answers from a script, for offline tests of apps built on
 * the agent, including the real ChatOpenAI path.
 */
export {
  ScriptedChatModel,
  scriptedRoles,
  type ScriptedCall,
  type ScriptedChatModelOptions,
  type ScriptedReply,
} from "./scripted.js";
export * from "./fake-openai/index.js";
