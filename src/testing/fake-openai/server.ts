import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { strictSchemaProblems } from "./strict.js";

/** One message of a chat request, as the client sent it. */
export interface ChatMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: unknown[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatTool {
  type: string;
  function?: { name: string; description?: string; parameters?: unknown; strict?: boolean | null };
}

/** The parsed body of `POST /v1/chat/completions` (only the fields the server looks at are typed). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  tools?: ChatTool[];
  tool_choice?: string | { type: string; function?: { name: string } } | null;
  response_format?:
    | { type: "json_schema"; json_schema: { name: string; strict?: boolean | null; schema?: unknown } }
    | { type: "json_object" | "text" };
  [key: string]: unknown;
}

/** What the fake model "does" with one request. */
export type FakeReply =
  /** A plain text answer. */
  | string
  | { text: string }
  /**
   * A JSON answer, sent the way the request asked for it: as `message.content` for a `json_schema` or
   * `json_object` response format, as a call of the forced function when `tool_choice` names one (or of
   * the only tool when `tool_choice` is "required"), else as content text.
   */
  | { json: unknown }
  /** Explicit tool calls (e.g. for `bindTools`); `args` may be an object or a JSON string. */
  | { toolCalls: { name: string; args: unknown; id?: string }[]; content?: string }
  /** An HTTP error. `retryAfter` (seconds) sets `Retry-After`; `body` replaces the OpenAI-style error. */
  | { status: number; retryAfter?: number; body?: unknown; message?: string }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { hang: true }
  /**
   * A cut-off answer: `how: "content"` sends a well-formed 200 whose content (or tool arguments) is the
   * first half of the answer, with `finish_reason: "length"` (what the real API does at max_tokens);
   * `how: "connection"` drops the socket half-way through the body or the event stream. The default
   * is "content" for a plain request and "connection" for a streamed one.
   */
  | { truncated: true; text?: string; json?: unknown; how?: "content" | "connection" }
  /** Waits, then answers with `reply` (a client timeout can cut it short). */
  | { delayMs: number; reply: FakeReply };

/** A reply, or a function computing it from the request. */
export type FakeScriptEntry = FakeReply | ((req: ChatRequest) => FakeReply | Promise<FakeReply>);

/** What the server did with one request. */
export type FakeOutcome =
  | "text"
  | "json_content"
  | "tool_calls"
  | "error"
  | "refused"
  | "hang"
  | "truncated"
  | "models"
  | "not_found";

/** One request as the server received it, and what it answered. */
export interface RecordedRequest {
  /** 0-based position among all requests. */
  index: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body (`undefined` for a GET or an unparsable body). */
  body: ChatRequest | undefined;
  /** HTTP status sent; `null` while pending, for a hang, or when the connection was dropped. */
  status: number | null;
  outcome: FakeOutcome | null;
  /** The schema problems behind a 400 "refused", else empty. */
  problems: string[];
  /** The answer the model "gave" (before any cut), for a 200 with a message; else null. */
  answer: { content: string; toolCalls: { name: string; arguments: string }[] } | null;
  at: number;
}

export interface FakeOpenAIOptions {
  /** Replies in order (each may be a function of the request), or one function answering every request. */
  script: FakeScriptEntry[] | ((req: ChatRequest) => FakeReply | Promise<FakeReply>);
  /** Default 0: a free port. */
  port?: number;
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Model ids listed by `GET /v1/models`. */
  models?: string[];
  /** Pause between streamed chunks. Default 0. */
  chunkDelayMs?: number;
}

export interface FakeOpenAI {
  /** Base URL ending in `/v1`, for `OPENAI_BASE_URL` / `configuration.baseURL`. */
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  requests: RecordedRequest[];
  /** Chat requests only. */
  readonly chatRequests: RecordedRequest[];
  /** Appends replies; they are used before a function script is consulted. */
  push(...replies: FakeScriptEntry[]): void;
  /** Replies queued and not yet used. */
  readonly remaining: number;
  /** Stops listening and drops every open connection, hung ones included. */
  close(): Promise<void>;
}

const DEFAULT_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"];
const NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Starts a local OpenAI-compatible server (Chat Completions) that answers from a script: plain and
 * streamed (SSE) responses, tool calls, `json_schema` response formats, usage in every response, and
 * faults (HTTP errors with `Retry-After`, hangs, truncated answers). It refuses what the real API
 * refuses in strict mode ({@link strictSchemaProblems}), with an OpenAI-style 400, and records every
 * request for assertions.
 *
 * @example
 * const server = await startFakeOpenAI({ script: ["Hello!", { json: { pass: true, reason: "ok" } }] });
 * const model = new ChatOpenAI({ model: "gpt-4o-mini", apiKey: "test", configuration: { baseURL: server.url } });
 * (await model.invoke("hi")).content; // "Hello!"
 * await server.close();
 */
export async function startFakeOpenAI(options: FakeOpenAIOptions): Promise<FakeOpenAI> {
  const queue: FakeScriptEntry[] = Array.isArray(options.script) ? [...options.script] : [];
  const fallback = typeof options.script === "function" ? options.script : undefined;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const chunkDelayMs = options.chunkDelayMs ?? 0;

  const nextReply = async (req: ChatRequest, index: number): Promise<FakeReply> => {
    const entry = queue.shift();
    if (entry !== undefined) return typeof entry === "function" ? entry(req) : entry;
    if (fallback) return fallback(req);
    return {
      status: 400,
      body: openAIError(
        `fake-openai: the script has no reply left for request #${index} (model ${req.model})`,
        "invalid_request_error",
        null,
        "script_exhausted",
      ),
    };
  };

  const server = createServer((req, res) => {
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0] ?? "/",
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]),
      ),
      body: undefined,
      status: null,
      outcome: null,
      problems: [],
      answer: null,
      at: Date.now(),
    };
    requests.push(record);
    void handle(req, res, record).catch((err: unknown) => {
      // A script that throws is a bug in the test: a 400 surfaces it at once (a 5xx would be retried).
      record.outcome = "error";
      if (res.headersSent) return void res.destroy();
      record.status = 400;
      sendJson(
        res,
        400,
        openAIError(
          `fake-openai: the script failed: ${String(err)}`,
          "invalid_request_error",
          null,
          "script_error",
        ),
      );
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const raw = await readBody(req);
    const path = record.path;
    const finish = (status: number | null, outcome: FakeOutcome) => {
      record.status = status;
      record.outcome = outcome;
    };

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      finish(401, "error");
      return sendJson(
        res,
        401,
        openAIError("Incorrect API key provided.", "invalid_request_error", null, "invalid_api_key"),
      );
    }
    if (req.method === "GET" && path === "/v1/models") {
      finish(200, "models");
      return sendJson(res, 200, {
        object: "list",
        data: (options.models ?? DEFAULT_MODELS).map((id) => ({
          id,
          object: "model",
          created: 1_700_000_000,
          owned_by: "fake-openai",
        })),
      });
    }
    if (req.method !== "POST" || path !== "/v1/chat/completions") {
      finish(404, "not_found");
      return sendJson(
        res,
        404,
        openAIError(
          `Unknown request URL: ${req.method} ${path}.`,
          "invalid_request_error",
          null,
          "unknown_url",
        ),
      );
    }

    let body: ChatRequest;
    try {
      body = JSON.parse(raw) as ChatRequest;
    } catch {
      finish(400, "refused");
      return sendJson(
        res,
        400,
        openAIError("We could not parse the JSON body of your request.", "invalid_request_error"),
      );
    }
    record.body = body;
    const invalid = requestProblems(body);
    if (invalid) {
      record.problems = [invalid.message];
      finish(400, "refused");
      return sendJson(
        res,
        400,
        openAIError(invalid.message, "invalid_request_error", invalid.param, invalid.code),
      );
    }

    const reply = await nextReply(body, record.index);
    await answer(body, reply, res, (status, outcome, message) => {
      finish(status, outcome);
      if (message)
        record.answer = {
          content: message.content,
          toolCalls: (message.toolCalls ?? []).map(({ name, arguments: args }) => ({
            name,
            arguments: args,
          })),
        };
    });
  }

  async function answer(
    body: ChatRequest,
    reply: FakeReply,
    res: ServerResponse,
    finish: (status: number | null, outcome: FakeOutcome, message?: Shaped) => void,
  ): Promise<void> {
    if (typeof reply === "object" && "delayMs" in reply) {
      if (await waitOrClose(reply.delayMs, res)) return finish(null, "hang");
      return answer(body, reply.reply, res, finish);
    }
    if (typeof reply === "object" && "hang" in reply) {
      finish(null, "hang");
      return; // the socket stays open: the client times out, or close() drops it
    }
    if (typeof reply === "object" && "status" in reply) {
      finish(reply.status, "error");
      const headers: Record<string, string> = {};
      if (reply.retryAfter !== undefined) headers["retry-after"] = String(reply.retryAfter);
      return sendJson(
        res,
        reply.status,
        reply.body ?? defaultErrorBody(reply.status, reply.message),
        headers,
      );
    }
    const streamed = body.stream === true;
    if (typeof reply === "object" && "truncated" in reply) {
      const how = reply.how ?? (streamed ? "connection" : "content");
      const message = shape(
        body,
        reply.json !== undefined ? { json: reply.json } : { text: reply.text ?? placeholder(body) },
      );
      finish(how === "connection" ? null : 200, "truncated", message);
      if (streamed) return stream(body, message, res, { cut: how });
      if (how === "content") return sendJson(res, 200, completion(body, halve(message), "length"));
      return sendCut(res, JSON.stringify(completion(body, message)));
    }
    const message = shape(body, reply);
    finish(200, message.toolCalls ? "tool_calls" : message.jsonContent ? "json_content" : "text", message);
    if (streamed) return stream(body, message, res, { cut: null });
    return sendJson(res, 200, completion(body, message));
  }

  async function stream(
    body: ChatRequest,
    message: Shaped,
    res: ServerResponse,
    { cut }: { cut: "content" | "connection" | null },
  ): Promise<void> {
    const id = `chatcmpl-${randomUUID().slice(0, 12)}`;
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = body.stream_options?.include_usage === true;
    const base = {
      id,
      object: "chat.completion.chunk",
      created,
      model: body.model,
      system_fingerprint: "fp_fake",
    };
    const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    });
    const source = cut === "content" ? halve(message) : message;
    const events: unknown[] = [];
    if (source.toolCalls) {
      events.push(chunk({ role: "assistant", content: null, refusal: null }));
      source.toolCalls.forEach((call, index) => {
        events.push(
          chunk({
            tool_calls: [
              { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } },
            ],
          }),
        );
        for (const piece of pieces(call.arguments, 12)) {
          events.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
        }
      });
    } else {
      events.push(chunk({ role: "assistant", content: "", refusal: null }));
      for (const piece of source.jsonContent ? pieces(source.content, 12) : words(source.content)) {
        events.push(chunk({ content: piece }));
      }
    }
    const finishReason = cut === "content" ? "length" : source.toolCalls ? "tool_calls" : "stop";
    events.push(chunk({}, finishReason));
    if (includeUsage) events.push({ ...base, choices: [], usage: usageFor(body, message) });

    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    // A cut connection stops half-way through the content events, before any finish_reason.
    const contentEvents = events.length - 2 - (includeUsage ? 1 : 0);
    const stopAt = cut === "connection" ? 1 + Math.ceil(contentEvents / 2) : events.length;
    for (const [i, event] of events.entries()) {
      if (res.destroyed) return;
      if (i >= stopAt) {
        // Let the client receive what was sent, then drop the connection without a last chunk.
        await delay(20);
        res.destroy();
        return;
      }
      await write(res, `data: ${JSON.stringify(event)}\n\n`);
      if (chunkDelayMs > 0 && (await waitOrClose(chunkDelayMs, res))) return;
    }
    res.end("data: [DONE]\n\n");
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}/v1`,
    port,
    requests,
    get chatRequests() {
      return requests.filter((r) => r.path === "/v1/chat/completions");
    },
    push: (...replies) => void queue.push(...replies),
    get remaining() {
      return queue.length;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A reply reduced to what goes into the message. */
interface Shaped {
  content: string;
  /** The content is JSON (answers to a response format, or JSON the request did not ask for). */
  jsonContent: boolean;
  toolCalls: { id: string; name: string; arguments: string }[] | null;
}

/** Decides how a reply is sent for this request (see {@link FakeReply}). */
function shape(
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

/** The first half of the answer, as a model cut off by max_tokens would send it. */
function halve(message: Shaped): Shaped {
  const cut = (text: string) => text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  return {
    ...message,
    content: message.content ? cut(message.content) : message.content,
    toolCalls: message.toolCalls?.map((c) => ({ ...c, arguments: cut(c.arguments) })) ?? null,
  };
}

function placeholder(body: ChatRequest): string {
  const json = structuredName(body) !== undefined || body.response_format?.type === "json_object";
  return json
    ? JSON.stringify({ note: "This answer was cut off by the fake server before it was complete." })
    : "This answer was cut off by the fake server before it was complete, so it ends mid-sentence.";
}

function completion(body: ChatRequest, message: Shaped, finishReason?: string) {
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
function usageFor(body: ChatRequest, message: Shaped) {
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

/** Why the real API would refuse this request before any model ran, or null. */
function requestProblems(
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

export function openAIError(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
) {
  return { error: { message, type, param, code } };
}

function defaultErrorBody(status: number, message?: string) {
  if (status === 429) {
    return openAIError(
      message ?? "Rate limit reached for requests on the fake server.",
      "requests",
      null,
      "rate_limit_exceeded",
    );
  }
  if (status >= 500)
    return openAIError(message ?? "The server had an error while processing your request.", "server_error");
  return openAIError(message ?? `Request failed with status ${status}.`, "invalid_request_error");
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-request-id": `req_${randomUUID().slice(0, 12)}`,
    ...headers,
  });
  res.end(text);
}

/** A 200 whose body stops half-way: the connection drops before `content-length` bytes arrive. */
async function sendCut(res: ServerResponse, text: string): Promise<void> {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  await write(res, text.slice(0, Math.floor(text.length / 2)));
  await delay(20);
  res.destroy();
}

/** Writes and waits until the data is handed to the socket (a write error shows up as a closed response). */
function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => resolve());
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Resolves true when the client went away before `ms` passed. */
function waitOrClose(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(true);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(false);
    }, ms);
    res.once("close", onClose);
  });
}

/** Text in chunks of one or two words, keeping whitespace so the chunks join back exactly. */
function words(text: string): string[] {
  const parts = text.split(/(?<=\s)(?=\S)/);
  const chunks: string[] = [];
  for (let i = 0; i < parts.length; i += 2) chunks.push(parts.slice(i, i + 2).join(""));
  return chunks.length ? chunks : [""];
}

/** Fixed-size pieces (JSON is streamed like tokens: mid-key, mid-string). */
function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [""];
}

function callId(): string {
  return `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
}
