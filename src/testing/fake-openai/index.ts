export {
  forcedFunction,
  messageText,
  openAIError,
  startFakeOpenAI,
  structuredName,
  type ChatMessage,
  type ChatRequest,
  type ChatTool,
  type FakeOpenAI,
  type FakeOpenAIOptions,
  type FakeOutcome,
  type FakeReply,
  type FakeScriptEntry,
  type RecordedRequest,
} from "./server.js";
export { formatContext, STRICT_LIMITS, STRICT_UNSUPPORTED_KEYWORDS, strictSchemaProblems } from "./strict.js";
