export { startFakeOpenAI } from "./server.js";
export { forcedFunction, messageText, structuredName } from "./requests.js";
export { openAIError } from "./http.js";
export type * from "./types.js";
export { formatContext, STRICT_LIMITS, STRICT_UNSUPPORTED_KEYWORDS, strictSchemaProblems } from "./strict.js";
