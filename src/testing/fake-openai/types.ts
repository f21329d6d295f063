/**
 * The fake OpenAI server's vocabulary: the parts of a Chat Completions request it reads, what a
 * script may answer, and what it records of each request.
 */

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
