import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import type { BaseMessage } from "@langchain/core/messages";
import type { RunnableConfig } from "@langchain/core/runnables";
import type { z } from "zod";
import type { RoleUsage } from "../graph/state.js";

/** The model answered, but not in the shape asked for. */
export class StructuredOutputError extends Error {
  override name = "StructuredOutputError";
}

export interface StructuredResult<T> {
  value: T;
  usage: RoleUsage;
}

/** Token usage of one response, counted as one call. */
export function usageOf(message: BaseMessage | undefined): RoleUsage {
  const u = (message as { usage_metadata?: Partial<RoleUsage> } | undefined)?.usage_metadata;
  const input = u?.input_tokens ?? 0;
  const output = u?.output_tokens ?? 0;
  return {
    input_tokens: input,
    output_tokens: output,
    total_tokens: u?.total_tokens ?? input + output,
    calls: 1,
  };
}

/**
 * Asks for a zod-typed answer and returns it with the call's token usage. The answer is
 * validated here again, because some providers' parsers hand back unchecked tool arguments.
 * A malformed answer raises {@link StructuredOutputError}; transport errors propagate as is.
 */
export async function invokeStructured<S extends z.ZodType>(
  model: BaseChatModel,
  schema: S,
  messages: BaseMessage[],
  options: { name: string; config?: RunnableConfig },
): Promise<StructuredResult<z.output<S>>> {
  const runnable = model.withStructuredOutput(schema as z.ZodType<Record<string, unknown>>, {
    name: options.name,
    includeRaw: true,
  });
  const { raw, parsed } = await runnable.invoke(messages, options.config);
  const usage = usageOf(raw);
  const result = schema.safeParse(parsed ?? rawToolArgs(raw));
  if (!result.success) {
    const got = parsed === null ? textOf(raw) : JSON.stringify(parsed);
    throw new StructuredOutputError(
      `the model's answer did not match the ${options.name} schema: ${result.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ")}. It said: ${got.slice(0, 300)}`,
    );
  }
  return { value: result.data, usage };
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
