/**
 * How the fake server words an answer: a scripted reply shaped for the request (content, JSON
 * content, or a call of the forced function), cut in half for a truncation, wrapped as a
 * `chat.completion` with estimated usage, and split into chunks for streaming.
 */
import { randomUUID } from "node:crypto";
import { forcedFunction, structuredName } from "./requests.js";
import type { ChatRequest, FakeReply } from "./types.js";

/** A reply reduced to what goes into the message. */
export interface Shaped {
  content: string;
  /** The content is JSON (answers to a response format, or JSON the request did not ask for). */
  jsonContent: boolean;
  toolCalls: { id: string; name: string; arguments: string }[] | null;
}

/** Decides how a reply is sent for this request (see {@link FakeReply}). */
export function shape(
  body: ChatRequest,
  reply: Exclude<FakeReply, { status: number } | { hang: true } | { truncated: true } | { delayMs: number }>,
): Shaped {
  if (typeof reply === "string") return { content: reply, jsonContent: false, toolCalls: null };
  if ("text" in reply) return { content: reply.text, jsonContent: false, toolCalls: null };
  if ("toolCalls" in reply) {
    return {
      content: reply.content ?? "",
      jsonContent: false,
      toolCalls: reply.toolCalls.map((c) => ({
        id: c.id ?? callId(),
        name: c.name,
        arguments: typeof c.args === "string" ? c.args : JSON.stringify(c.args),
      })),
    };
  }
  const text = JSON.stringify(reply.json);
  const format = body.response_format?.type;
  const forced = forcedFunction(body);
  if (format !== "json_schema" && format !== "json_object" && forced) {
    return { content: "", jsonContent: false, toolCalls: [{ id: callId(), name: forced, arguments: text }] };
  }
  return { content: text, jsonContent: true, toolCalls: null };
}

/** The first half of the answer, as a model cut off by max_tokens would send it. */
export function halve(message: Shaped): Shaped {
  const cut = (text: string) => text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  return {
    ...message,
    content: message.content ? cut(message.content) : message.content,
    toolCalls: message.toolCalls?.map((c) => ({ ...c, arguments: cut(c.arguments) })) ?? null,
  };
}

export function placeholder(body: ChatRequest): string {
  const json = structuredName(body) !== undefined || body.response_format?.type === "json_object";
  return json
    ? JSON.stringify({ note: "This answer was cut off by the fake server before it was complete." })
    : "This answer was cut off by the fake server before it was complete, so it ends mid-sentence.";
}

export function completion(body: ChatRequest, message: Shaped, finishReason?: string) {
  return {
    id: `chatcmpl-${randomUUID().slice(0, 12)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    system_fingerprint: "fp_fake",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: message.toolCalls ? message.content || null : message.content,
          refusal: null,
          ...(message.toolCalls
            ? {
                tool_calls: message.toolCalls.map((c) => ({
                  id: c.id,
                  type: "function",
                  function: { name: c.name, arguments: c.arguments },
                })),
              }
            : {}),
        },
        logprobs: null,
        finish_reason: finishReason ?? (message.toolCalls ? "tool_calls" : "stop"),
      },
    ],
    usage: usageFor(body, message),
  };
}

/** Token counts estimated at four characters per token. */
export function usageFor(body: ChatRequest, message: Shaped) {
  const promptChars = JSON.stringify(body.messages ?? []).length + JSON.stringify(body.tools ?? []).length;
  const replyChars =
    message.content.length + (message.toolCalls ?? []).reduce((n, c) => n + c.arguments.length, 0);
  const prompt_tokens = Math.max(1, Math.ceil(promptChars / 4));
  const completion_tokens = Math.max(1, Math.ceil(replyChars / 4));
  return {
    prompt_tokens,
    completion_tokens,
    total_tokens: prompt_tokens + completion_tokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

/** Text in chunks of one or two words, keeping whitespace so the chunks join back exactly. */
export function words(text: string): string[] {
  const parts = text.split(/(?<=\s)(?=\S)/);
  const chunks: string[] = [];
  for (let i = 0; i < parts.length; i += 2) chunks.push(parts.slice(i, i + 2).join(""));
  return chunks.length ? chunks : [""];
}

/** Fixed-size pieces (JSON is streamed like tokens: mid-key, mid-string). */
export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

export function callId(): string {
  return `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
}
