/**
 * What the fake server reads of a request, and what it refuses: the checks the real API makes
 * before any model runs (names, strict schemas through {@link strictSchemaProblems}, a forced
 * function that is not among the tools), answered with an OpenAI-style 400.
 */
import { strictSchemaProblems } from "./strict.js";
import type { ChatRequest } from "./types.js";

const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/** The function a request forces: `tool_choice` naming one, or the only tool under "required". */
export function forcedFunction(body: ChatRequest): string | undefined {
  const choice = body.tool_choice;
  if (typeof choice === "object" && choice?.type === "function" && choice.function?.name)
    return choice.function.name;
  const tools = body.tools ?? [];
  if (choice === "required" && tools.length === 1) return tools[0]?.function?.name;
  return undefined;
}

/**
 * The name under which a request asks for structured output: the `json_schema` name, or the forced
 * function. `undefined` for a plain request.
 */
export function structuredName(body: ChatRequest | undefined): string | undefined {
  if (!body) return undefined;
  const format = body.response_format;
  if (format?.type === "json_schema") return format.json_schema.name;
  return forcedFunction(body);
}

/** The text of the first message with this role ("system", "user", …), or "". */
export function messageText(
  body: ChatRequest | undefined,
  role: string,
  which: "first" | "last" = "first",
): string {
  const messages = (body?.messages ?? []).filter(
    (m) => m.role === role || (role === "system" && m.role === "developer"),
  );
  const message = which === "first" ? messages[0] : messages.at(-1);
  const content = message?.content;
  if (typeof content === "string") return content;
  return (content ?? []).map((part) => part.text ?? "").join("");
}

/** Why the real API would refuse this request before any model ran, or null. */
export function requestProblems(
  body: ChatRequest,
): { message: string; param: string | null; code: string | null } | null {
  if (typeof body !== "object" || body === null)
    return { message: "The request body must be a JSON object.", param: null, code: null };
  if (typeof body.model !== "string" || body.model === "") {
    return { message: "you must provide a model parameter", param: "model", code: null };
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return { message: "'messages' must be a non-empty array.", param: "messages", code: "invalid_value" };
  }
  const format = body.response_format;
  if (format?.type === "json_schema") {
    const spec = (format as { json_schema?: { name?: unknown; strict?: unknown; schema?: unknown } })
      .json_schema;
    if (!spec || typeof spec.name !== "string" || !NAME_PATTERN.test(spec.name)) {
      return {
        message: "Invalid 'response_format.json_schema.name': must match ^[a-zA-Z0-9_-]{1,64}$.",
        param: "response_format.json_schema.name",
        code: "invalid_value",
      };
    }
    if (spec.strict === true) {
      const problems = strictSchemaProblems(spec.schema);
      if (problems.length > 0) {
        return {
          message: `Invalid schema for response_format '${spec.name}': ${problems.join(" ")}`,
          param: "response_format",
          code: "invalid_json_schema",
        };
      }
    }
  }
  for (const [i, tool] of (body.tools ?? []).entries()) {
    const fn = tool.function;
    if (tool.type !== "function" || !fn) continue;
    if (typeof fn.name !== "string" || !NAME_PATTERN.test(fn.name)) {
      return {
        message: `Invalid 'tools[${i}].function.name': must match ^[a-zA-Z0-9_-]{1,64}$.`,
        param: `tools[${i}].function.name`,
        code: "invalid_value",
      };
    }
    if (fn.strict === true) {
      const problems = strictSchemaProblems(fn.parameters ?? { type: "object", properties: {} });
      if (problems.length > 0) {
        return {
          message: `Invalid schema for function '${fn.name}': ${problems.join(" ")}`,
          param: `tools[${i}].function.parameters`,
          code: "invalid_function_parameters",
        };
      }
    }
  }
  const forced = forcedFunction(body);
  if (forced && !(body.tools ?? []).some((t) => t.function?.name === forced)) {
    return {
      message: `Invalid value for 'tool_choice': function '${forced}' is not among the tools.`,
      param: "tool_choice",
      code: "invalid_value",
    };
  }
  return null;
}
