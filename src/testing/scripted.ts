import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import {
  BaseChatModel,
  type BaseChatModelCallOptions,
  type BindToolsInput,
} from "@langchain/core/language_models/chat_models";
import { AIMessageChunk, type BaseMessage, type UsageMetadata } from "@langchain/core/messages";
import { ChatGenerationChunk, type ChatResult } from "@langchain/core/outputs";
import type { Runnable } from "@langchain/core/runnables";
import { MODEL_ROLES, type ModelRole } from "../core/roles.js";

/** What a scripted model "says" on one call. */
export type ScriptedReply =
  /** A plain text answer. */
  | string
  | { text: string }
  /** An answer to `withStructuredOutput`: returned as a call of the bound function. */
  | { structured: Record<string, unknown> }
  /**
   * A structured answer given as the raw text of the function call's arguments: it may be cut off,
   * malformed or never closed. With `error`, a streamed answer breaks off with it after the text
   * (and an unstreamed call throws it).
   */
  | { raw: string; error?: Error | string }
  /** Calls of named tools (for a model with tools bound), with optional text beside them. */
  | { toolCalls: { name: string; args: Record<string, unknown> }[]; text?: string }
  /** The call throws this (to simulate 429/500 etc.). */
  | { error: Error | string }
  /** Answers after a delay; the call's abort signal cuts the delay short. */
  | { delayMs: number; reply: ScriptedReply }
  /** Computed from the prompt. */
  | ((messages: BaseMessage[]) => ScriptedReply | Promise<ScriptedReply>);

/** One recorded call: the prompt and the names of the tools bound for it. */
export interface ScriptedCall {
  messages: BaseMessage[];
  tools: string[];
}

export interface ScriptedChatModelOptions {
  /** Shown in errors and as `response_metadata.model_name`. Default "scripted". */
  name?: string;
  /** Answers, consumed in order. */
  replies?: ScriptedReply[];
  /** Answer for every call once `replies` run out; without it, such a call throws. */
  fallback?: ScriptedReply;
  /**
   * Generation speed, in tokens (four characters) per second. A streamed answer then arrives one
   * token at a time at this rate, and an unstreamed one after the time the whole answer takes, as
   * with a real model. Unset: no delay, and a structured answer streams as one chunk.
   */
  tokensPerSecond?: number;
}

/** Call options: like ChatOpenAI, tools can also come per call (e.g. via `withConfig({ tools })`). */
export interface ScriptedCallOptions extends BaseChatModelCallOptions {
  tools?: BindToolsInput[];
}

/** State shared by a model and all its clones, so a bound clone consumes the same script. */
interface ScriptState {
  queue: ScriptedReply[];
  calls: ScriptedCall[];
  fallback: ScriptedReply | undefined;
  tokensPerSecond: number | undefined;
}

/** A reply reduced to what the model finally "says". */
type ToolCallsAnswer = { toolCalls: { name: string; args: Record<string, unknown> }[]; text?: string };
type Answer =
  | { text: string }
  | { structured: Record<string, unknown> }
  | { raw: string; error?: Error | string }
  | ToolCallsAnswer;

/** A plain text answer (not tool calls that come with text). */
function isText(answer: Answer): answer is { text: string } {
  return "text" in answer && !("toolCalls" in answer);
}

/** Characters per token of a scripted answer (a rough tokenizer). */
const CHARS_PER_TOKEN = 4;

/** How many words each streamed chunk carries. */
const WORDS_PER_CHUNK = 3;

/**
 * A chat model that answers from a script, for tests and the offline demo: each test states
 * exactly what the model "said" and asserts what the graph did. Replies are consumed FIFO from a
 * queue shared with every clone made by `bindTools` / `withStructuredOutput` / `withConfig`, and
 * every call is recorded in {@link ScriptedChatModel.calls}.
 *
 * A `{ structured }` reply comes back as a tool call of the bound function, which is what core's
 * default `withStructuredOutput` parses. That parser returns the tool arguments unvalidated
 * (unlike ChatOpenAI's), so callers that need schema guarantees must validate themselves.
 *
 * @example
 * const model = new ScriptedChatModel({
 *   name: "planner",
 *   replies: [{ structured: { steps: [] } }, "All done.", { error: "429 Too Many Requests" }],
 * });
 * await model.withStructuredOutput(z.object({ steps: z.array(z.string()) })).invoke("plan"); // { steps: [] }
 * (await model.invoke("summarise")).content; // "All done."
 * await model.invoke("again"); // throws Error("429 Too Many Requests")
 * model.callCount; // 3
 */
export class ScriptedChatModel extends BaseChatModel<ScriptedCallOptions, AIMessageChunk> {
  declare name: string;
  /** The same as `name`, under the field real chat models use for it. */
  readonly modelName: string;
  private state: ScriptState;
  private boundTools: string[] = [];

  constructor(opts: ScriptedChatModelOptions = {}) {
    // The script is not passed to super: it may hold functions and errors, which have no
    // place in the serialised model that tracing records.
    super({});
    this.name = opts.name ?? "scripted";
    this.modelName = this.name;
    this.state = {
      queue: [...(opts.replies ?? [])],
      calls: [],
      fallback: opts.fallback,
      tokensPerSecond: opts.tokensPerSecond,
    };
  }

  static override lc_name(): string {
    return "ScriptedChatModel";
  }

  _llmType(): string {
    return "scripted";
  }

  /** Every call so far, across this model and its clones. */
  get calls(): ScriptedCall[] {
    return this.state.calls;
  }

  get callCount(): number {
    return this.state.calls.length;
  }

  /** Replies not yet consumed (the fallback not counted). */
  get remaining(): number {
    return this.state.queue.length;
  }

  /** Appends replies to the shared queue. */
  push(...replies: ScriptedReply[]): this {
    this.state.queue.push(...replies);
    return this;
  }

  override bindTools(
    tools: BindToolsInput[],
    kwargs?: Partial<ScriptedCallOptions>,
  ): Runnable<BaseLanguageModelInput, AIMessageChunk, ScriptedCallOptions> {
    const clone = new ScriptedChatModel({ name: this.name });
    clone.state = this.state;
    // Binding replaces earlier bound tools, as with real chat models.
    clone.boundTools = tools.map(toolName);
    return kwargs && Object.keys(kwargs).length > 0 ? clone.withConfig(kwargs) : clone;
  }

  async _generate(messages: BaseMessage[], options: this["ParsedCallOptions"]): Promise<ChatResult> {
    const { answer, call } = await this.answer(messages, options);
    const rate = this.state.tokensPerSecond;
    if (rate) await sleep((tokenPieces(answerText(answer)).length / rate) * 1000, options.signal);
    if ("raw" in answer && answer.error !== undefined) throw toError(answer.error);
    // An AIMessageChunk, not an AIMessage: core's default withStructuredOutput parser rejects
    // anything that is not a chunk ("Input is not an AIMessageChunk.").
    const message = new AIMessageChunk({
      ...this.messageFields(answer, call),
      usage_metadata: usageOf(messages, answer),
      response_metadata: { model_name: this.name },
    });
    return { generations: [{ text: isText(answer) ? answer.text : "", message }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const { answer, call } = await this.answer(messages, options);
    const rate = this.state.tokensPerSecond;
    const text = answerText(answer);
    // Tool calls come whole, in one chunk.
    const pieces =
      "toolCalls" in answer ? [text] : rate ? tokenPieces(text) : isText(answer) ? chunkWords(text) : [text];
    const started = Date.now();
    for (const [i, piece] of pieces.entries()) {
      // Paced against the start, so timer lateness does not add up over a long answer.
      if (rate) await sleep(started + ((i + 1) / rate) * 1000 - Date.now(), options.signal);
      const last = i === pieces.length - 1;
      const chunk = new ChatGenerationChunk({
        text: isText(answer) ? piece : "",
        message: new AIMessageChunk({
          ...("toolCalls" in answer
            ? this.namedCallChunkFields(answer, call)
            : isText(answer)
              ? { content: piece }
              : this.toolCallChunkFields(piece, call, i === 0)),
          // Only the last chunk carries totals: concatenation sums usage and joins strings.
          ...(last ? { usage_metadata: usageOf(messages, answer) } : {}),
          ...(last ? { response_metadata: { model_name: this.name } } : {}),
        }),
      });
      yield chunk;
      // LangGraph's "messages" stream mode listens for tokens through this callback.
      await runManager?.handleLLMNewToken(piece, undefined, undefined, undefined, undefined, { chunk });
    }
    if ("raw" in answer && answer.error !== undefined) throw toError(answer.error);
  }

  /** Records the call, takes the next reply and resolves it to the final answer. */
  private async answer(messages: BaseMessage[], options: this["ParsedCallOptions"]) {
    const tools = [...this.boundTools, ...(options.tools ?? []).map(toolName)];
    this.state.calls.push({ messages, tools });
    const call = this.state.calls.length;
    const reply = this.next(messages, call - 1);
    const answer = await resolve(reply, messages, options.signal);
    return { answer, call: { id: `call_${call}`, tool: tools.length === 1 ? tools[0]! : "extract" } };
  }

  private next(messages: BaseMessage[], answered: number): ScriptedReply {
    const reply = this.state.queue.shift() ?? this.state.fallback;
    if (reply !== undefined) return reply;
    throw new Error(
      `scripted model "${this.name}" has no reply left (it answered ${answered} times); ` +
        `last prompt: ${lastHumanText(messages).slice(0, 200)}`,
    );
  }

  private messageFields(answer: Answer, call: { id: string; tool: string }) {
    if ("toolCalls" in answer) {
      return {
        content: answer.text ?? "",
        tool_calls: answer.toolCalls.map((c, i) => ({
          name: c.name,
          args: c.args,
          id: `${call.id}_${i}`,
          type: "tool_call" as const,
        })),
      };
    }
    if ("text" in answer) return { content: answer.text };
    // Raw arguments are parsed by the message itself (into `invalid_tool_calls` when they are not JSON).
    if ("raw" in answer) return this.toolCallChunkFields(answer.raw, call, true);
    return {
      content: "",
      tool_calls: [{ name: call.tool, args: answer.structured, id: call.id, type: "tool_call" as const }],
    };
  }

  private namedCallChunkFields(answer: ToolCallsAnswer, call: { id: string }) {
    return {
      content: answer.text ?? "",
      tool_call_chunks: answer.toolCalls.map((c, i) => ({
        name: c.name,
        args: JSON.stringify(c.args),
        id: `${call.id}_${i}`,
        index: i,
        type: "tool_call_chunk" as const,
      })),
    };
  }

  /** One piece of a function call's arguments; the first piece also names the call, as OpenAI's stream does. */
  private toolCallChunkFields(args: string, call: { id: string; tool: string }, first: boolean) {
    return {
      content: "",
      tool_call_chunks: [
        {
          ...(first ? { name: call.tool, id: call.id } : {}),
          args,
          index: 0,
          type: "tool_call_chunk" as const,
        },
      ],
    };
  }
}

/**
 * One scripted model per role, named `scripted-<role>`, each with its own queue.
 *
 * @example
 * const models = scriptedRoles({ planner: [{ structured: plan }], synthesizer: ["The answer."] });
 */
export function scriptedRoles(
  script: Partial<Record<ModelRole, ScriptedReply[]>> = {},
): Record<ModelRole, ScriptedChatModel> {
  const entries = MODEL_ROLES.map(
    (role) =>
      [role, new ScriptedChatModel({ name: `scripted-${role}`, replies: script[role] ?? [] })] as const,
  );
  return Object.fromEntries(entries) as Record<ModelRole, ScriptedChatModel>;
}

/** Unwraps functions and delays until the reply is text or structured; throws error replies. */
async function resolve(reply: ScriptedReply, messages: BaseMessage[], signal?: AbortSignal): Promise<Answer> {
  if (typeof reply === "function") return resolve(await reply(messages), messages, signal);
  if (typeof reply === "string") return { text: reply };
  if ("raw" in reply) return reply;
  if ("error" in reply) throw toError(reply.error);
  if ("delayMs" in reply) {
    await sleep(reply.delayMs, signal);
    return resolve(reply.reply, messages, signal);
  }
  return reply;
}

/** What the model writes: its text, or the function call's arguments as JSON text. */
function answerText(answer: Answer): string {
  if ("toolCalls" in answer) return JSON.stringify(answer.toolCalls);
  if ("text" in answer) return answer.text;
  if ("raw" in answer) return answer.raw;
  return JSON.stringify(answer.structured);
}

/** Text cut into tokens of {@link CHARS_PER_TOKEN} characters (at least one piece, so that a stream has a chunk). */
function tokenPieces(text: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += CHARS_PER_TOKEN) pieces.push(text.slice(i, i + CHARS_PER_TOKEN));
  return pieces.length > 0 ? pieces : [""];
}

function toError(error: Error | string): Error {
  return typeof error === "string" ? new Error(error) : error;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && !signal?.aborted) return Promise.resolve();
  return new Promise((done, fail) => {
    if (signal?.aborted) return fail(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      fail(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      done();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The error a real client gives on abort: the signal's reason when it is one. */
function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === "string" ? reason : "Aborted");
}

/** The name of a LangChain tool, an OpenAI-format tool or any object with a `name`. */
function toolName(tool: BindToolsInput): string {
  const fn: unknown = (tool as { function?: unknown }).function;
  if (typeof fn === "object" && fn !== null && typeof (fn as { name?: unknown }).name === "string") {
    return (fn as { name: string }).name;
  }
  const name: unknown = (tool as { name?: unknown }).name;
  if (typeof name === "string") return name;
  throw new Error(`scripted model: cannot bind a tool without a name: ${JSON.stringify(tool).slice(0, 100)}`);
}

/** Splits text into chunks of a few words, keeping all whitespace so the chunks join back exactly. */
function chunkWords(text: string): string[] {
  const words = text.split(/(?<=\s)(?=\S)/);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += WORDS_PER_CHUNK) {
    chunks.push(words.slice(i, i + WORDS_PER_CHUNK).join(""));
  }
  return chunks;
}

/** Token usage estimated at four characters per token, like a rough tokenizer. */
function usageOf(messages: BaseMessage[], answer: Answer): UsageMetadata {
  const input_tokens = Math.ceil(messages.reduce((n, m) => n + m.text.length, 0) / 4);
  const output_tokens = Math.ceil(answerText(answer).length / CHARS_PER_TOKEN);
  return { input_tokens, output_tokens, total_tokens: input_tokens + output_tokens };
}

function lastHumanText(messages: BaseMessage[]): string {
  const human = messages.findLast((m) => m.getType() === "human") ?? messages.at(-1);
  return human?.text ?? "(no messages)";
}
