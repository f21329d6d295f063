import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { completion, halve, pieces, placeholder, shape, usageFor, words, type Shaped } from "./answers.js";
import {
  defaultErrorBody,
  delay,
  openAIError,
  readBody,
  sendCut,
  sendJson,
  waitOrClose,
  write,
} from "./http.js";
import { requestProblems } from "./requests.js";
import type {
  ChatRequest,
  FakeOpenAI,
  FakeOpenAIOptions,
  FakeOutcome,
  FakeReply,
  FakeScriptEntry,
  RecordedRequest,
} from "./types.js";

const DEFAULT_MODELS = ["gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"];

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
