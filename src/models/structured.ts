import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import { z } from "zod";
import type { RoleUsage } from "../core/state.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/** The model answered, but not in the shape asked for. */
export class StructuredOutputError extends Error {
  override name = "StructuredOutputError";
}

export interface StructuredResult<T> {
  value: T;
  usage: RoleUsage;
}

/**
 * Token usage of one response, counted as one call, with the model that answered (for cost
 * estimates): as the response names it, else the client's configured model. The fallback matters:
 * when LangGraph streams messages, ChatOpenAI's aggregated answer carries no model name.
 */
export function usageOf(message: BaseMessage | undefined, model?: unknown): RoleUsage {
  const m = message as
    | { usage_metadata?: Partial<RoleUsage>; response_metadata?: { model_name?: unknown; model?: unknown } }
    | undefined;
  const u = m?.usage_metadata;
  const input = u?.input_tokens ?? 0;
  const output = u?.output_tokens ?? 0;
  const name = m?.response_metadata?.model_name ?? m?.response_metadata?.model ?? modelIdOf(model);
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: u?.total_tokens ?? input + output,
    calls: 1,
    ...(typeof name === "string" ? { model: name } : {}),
  };
}

/** The model id a chat model client is configured with (`model` on ChatOpenAI, `modelName` on others). */
export function modelIdOf(model: unknown): string | undefined {
  const m = model as { model?: unknown; modelName?: unknown } | undefined;
  const id = m?.model ?? m?.modelName;
  return typeof id === "string" && id !== "" ? id : undefined;
}

/**
 * Asks for a zod-typed answer and returns it with the call's token usage. The answer is
 * validated here again, because some providers' parsers hand back unchecked tool arguments.
 * A malformed answer raises {@link StructuredOutputError}; transport errors propagate as is.
 */
export async function invokeStructured<S extends z.ZodType, R extends z.ZodType = S>(
  model: BaseChatModel,
  schema: S,
  messages: BaseMessage[],
  options: {
    name: string;
    config?: RunnableConfig;
    /**
     * Validates the answer instead of `schema`: a lenient reading of the same shape, for fields a
     * model without strict mode (or a script) may leave out. `schema` is still what the model is sent.
     */
    read?: R;
  },
): Promise<StructuredResult<z.output<R>>> {
  const runnable = model.withStructuredOutput(wireJsonSchema(schema), {
    name: options.name,
    includeRaw: true,
    // ChatOpenAI sends a zod schema strict, a JSON schema only when asked; other chat models refuse the flag.
    ...(isOpenAIClient(model) ? { strict: true } : {}),
  });
  let answer: { raw: BaseMessage; parsed: Record<string, unknown> | null };
  try {
    answer = await runnable.invoke(messages, options.config);
  } catch (err) {
    if (!isUnreadableAnswer(err)) throw err;
    // The model did answer, but its answer could not be read: with OpenAI's json_schema mode the SDK
    // parses inside the call, so a cut-off or malformed answer surfaces here as an error rather than
    // as `parsed: null`. It is a bad answer like any other, not a transport failure.
    throw new StructuredOutputError(
      `the model's answer could not be read as the ${options.name} schema (${describeError(err)})`,
      { cause: err },
    );
  }
  const { raw, parsed } = answer;
  const usage = usageOf(raw, model);
  const result = ((options.read ?? schema) as R).safeParse(parsed ?? rawToolArgs(raw));
  if (!result.success) {
    const got = parsed === null ? textOf(raw) : JSON.stringify(parsed);
    throw new StructuredOutputError(
      `the model's answer did not match the ${options.name} schema: ${zodIssueLines(result.error.issues.slice(0, 5)).join("; ")}. It said: ${got.slice(0, 300)}`,
    );
  }
  return { value: result.data, usage };
}

/**
 * The JSON schema a model is sent for `schema`: what zod makes of it, without `$schema` and without
 * the `title` LangChain's OpenAI client would stamp on every property (its zod conversion sets each
 * subschema's title to the schema's name): about a fifth of a plan schema's tokens, carrying nothing.
 * The answer is still validated against the zod schema by {@link invokeStructured}.
 */
export function wireJsonSchema(schema: z.ZodType): Record<string, unknown> {
  // A plain copy: zod's result carries a Standard Schema marker, which LangChain would convert again
  // (adding a draft-07 `$schema`).
  const json = JSON.parse(
    JSON.stringify(z.toJSONSchema(schema, { reused: "inline", unrepresentable: "any" })),
  ) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** ChatOpenAI and its kin (Azure, OpenAI-compatible servers): the clients with OpenAI's strict mode. */
function isOpenAIClient(model: BaseChatModel): boolean {
  return "supportsStrictToolCalling" in model;
}

/**
 * Errors a client raises after the model answered, while reading that answer: a cut-off answer
 * (`finish_reason: "length"`, OpenAI's LengthFinishReasonError), a filtered one, text that is not
 * JSON, JSON that does not match the schema (the OpenAI SDK validates with zod), a LangChain parser
 * failure. Matched by name and code, so no provider SDK has to be imported here.
 */
const UNREADABLE_ANSWER_ERRORS = new Set([
  "LengthFinishReasonError",
  "ContentFilterFinishReasonError",
  "SyntaxError",
  "ZodError",
  "$ZodError",
  "OutputParserException",
]);

function isUnreadableAnswer(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { name, lc_error_code } = err as { name?: unknown; lc_error_code?: unknown };
  const className = (err as { constructor?: { name?: unknown } }).constructor?.name;
  return (
    lc_error_code === "OUTPUT_PARSING_FAILURE" ||
    (typeof name === "string" && UNREADABLE_ANSWER_ERRORS.has(name)) ||
    (typeof className === "string" && UNREADABLE_ANSWER_ERRORS.has(className))
  );
}

function describeError(err: unknown): string {
  const e = err as { name?: unknown; constructor?: { name?: unknown }; message?: unknown };
  const name = typeof e.name === "string" && e.name !== "Error" ? e.name : e.constructor?.name;
  const message = typeof e.message === "string" ? e.message.replace(/\s+/g, " ").slice(0, 300) : String(err);
  return typeof name === "string" && name !== "Error" ? `${name}: ${message}` : message;
}

function rawToolArgs(raw: BaseMessage): unknown {
  const calls = (raw as { tool_calls?: { args: unknown }[] }).tool_calls;
  return calls?.[0]?.args ?? null;
}

export function textOf(message: BaseMessage | undefined): string {
  if (!message) return "";
  const content = message.content;
  if (typeof content === "string") return content;
  return content.map((part) => ("text" in part && typeof part.text === "string" ? part.text : "")).join("");
}
