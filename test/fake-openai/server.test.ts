import { HumanMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  messageText,
  startFakeOpenAI,
  structuredName,
  type FakeOpenAI,
  type FakeOpenAIOptions,
} from "../../src/testing/fake-openai/index.js";
import { readEnv } from "../../src/config/env.js";
import { openAIModelProvider } from "../../src/models/provider.js";
import { invokeStructured, StructuredOutputError } from "../../src/models/structured.js";
import { resolveSettings } from "../../src/core/settings.js";
import { CriticVerdictSchema } from "../../src/nodes/evaluator.js";
import { AnswerVerdictSchema, ReflectionVerdictSchema } from "../../src/nodes/quality-prompts.js";
import { WirePlanSchema } from "../../src/plan/schema.js";

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: FakeOpenAIOptions["script"], options: Partial<FakeOpenAIOptions> = {}) {
  server = await startFakeOpenAI({ script, ...options });
  return server;
}

function chat(s: FakeOpenAI, body: Record<string, unknown>, init: RequestInit = {}) {
  return fetch(`${s.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...body }),
    ...init,
  });
}

/** The `data:` payloads of an SSE body. */
async function events(res: Response): Promise<string[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice("data: ".length));
}

function model(s: FakeOpenAI, fields: Record<string, unknown> = {}) {
  return new ChatOpenAI({
    model: "gpt-4o-mini",
    apiKey: "test",
    configuration: { baseURL: s.url },
    maxRetries: 0,
    timeout: 2000,
    streamUsage: true,
    ...fields,
  });
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    description: "Weather in a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};

const Verdict = CriticVerdictSchema;

describe("fake OpenAI server over plain HTTP", () => {
  it("answers a chat completion with usage and records the request", async () => {
    const s = await start(["Hello there."]);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const res = await chat(s, { temperature: 0 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      object: "chat.completion",
      model: "gpt-4o-mini",
      choices: [{ index: 0, message: { role: "assistant", content: "Hello there." }, finish_reason: "stop" }],
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      outcome: "text",
      body: { model: "gpt-4o-mini", temperature: 0 },
      answer: { content: "Hello there.", toolCalls: [] },
    });
    expect(s.requests[0]!.headers.authorization).toBe("Bearer k");
  });

  it("streams server-sent events, with a final usage chunk only when asked for, then [DONE]", async () => {
    const s = await start(["one two three four five", "again"]);
    const data = await events(await chat(s, { stream: true, stream_options: { include_usage: true } }));
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as any);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("one two three four five");
    expect(chunks.at(-2).choices[0].finish_reason).toBe("stop");
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBeGreaterThan(0);

    const plain = (await events(await chat(s, { stream: true })))
      .slice(0, -1)
      .map((d) => JSON.parse(d) as any);
    expect(plain.some((c) => "usage" in c)).toBe(false);
  });

  it("sends a JSON reply as content for a json_schema request and as a forced tool call otherwise", async () => {
    const s = await start([{ json: { pass: true, reason: "ok" } }, { json: { city: "Paris" } }]);
    const format = {
      type: "json_schema",
      json_schema: { name: "verdict", strict: true, schema: z.toJSONSchema(Verdict) },
    };
    const a = (await (await chat(s, { response_format: format })).json()) as any;
    expect(JSON.parse(a.choices[0].message.content)).toEqual({ pass: true, reason: "ok" });
    expect(s.requests[0]!.outcome).toBe("json_content");

    const b = (await (
      await chat(s, {
        tools: [weatherTool],
        tool_choice: { type: "function", function: { name: "get_weather" } },
      })
    ).json()) as any;
    expect(b.choices[0].finish_reason).toBe("tool_calls");
    expect(b.choices[0].message.tool_calls[0]).toMatchObject({
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Paris"}' },
    });
    expect(structuredName(s.requests[0]!.body)).toBe("verdict");
    expect(structuredName(s.requests[1]!.body)).toBe("get_weather");
    // What the model "said" is recorded with each request (e.g. to count output tokens).
    expect(s.requests[1]!.answer).toEqual({
      content: "",
      toolCalls: [{ name: "get_weather", arguments: '{"city":"Paris"}' }],
    });
  });

  it("streams tool-call arguments split across chunks", async () => {
    const s = await start([
      { toolCalls: [{ name: "get_weather", args: { city: "San Francisco, California" } }] },
    ]);
    const data = await events(await chat(s, { stream: true, tools: [weatherTool] }));
    const deltas = data.slice(0, -1).map((d) => (JSON.parse(d) as any).choices[0]?.delta);
    const parts = deltas.flatMap((d) => d?.tool_calls ?? []);
    expect(parts[0]).toMatchObject({
      index: 0,
      type: "function",
      function: { name: "get_weather", arguments: "" },
    });
    expect(parts.length).toBeGreaterThan(2);
    expect(JSON.parse(parts.map((p: any) => p.function.arguments).join(""))).toEqual({
      city: "San Francisco, California",
    });
  });

  it("refuses a strict schema the real API refuses, with an OpenAI-style 400, and accepts it when not strict", async () => {
    const s = await start(() => ({ json: { a: {} } }));
    const schema = z.toJSONSchema(
      z.object({ a: z.record(z.string(), z.number()), b: z.string().optional() }),
    );
    const res = await chat(s, {
      response_format: { type: "json_schema", json_schema: { name: "loose", strict: true, schema } },
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as any;
    expect(error).toMatchObject({
      type: "invalid_request_error",
      param: "response_format",
      code: "invalid_json_schema",
    });
    expect(error.message).toMatch(/^Invalid schema for response_format 'loose': /);
    expect(error.message).toContain("Missing 'b'.");
    expect(s.requests[0]).toMatchObject({ status: 400, outcome: "refused" });
    expect(s.requests[0]!.problems[0]).toBe(error.message);

    const tool = { type: "function", function: { name: "f", strict: true, parameters: schema } };
    const toolRes = await chat(s, { tools: [tool] });
    expect(toolRes.status).toBe(400);
    expect(((await toolRes.json()) as any).error).toMatchObject({ param: "tools[0].function.parameters" });

    const lenient = await chat(s, {
      response_format: { type: "json_schema", json_schema: { name: "loose", schema } },
    });
    expect(lenient.status).toBe(200);
  });

  it("sends HTTP faults with Retry-After and OpenAI-style bodies", async () => {
    const s = await start([
      { status: 429, retryAfter: 2 },
      { status: 500 },
      { status: 418, body: { custom: true } },
    ]);
    const limited = await chat(s, {});
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("2");
    expect(((await limited.json()) as any).error).toMatchObject({ code: "rate_limit_exceeded" });
    const failed = await chat(s, {});
    expect(failed.status).toBe(500);
    expect(((await failed.json()) as any).error.type).toBe("server_error");
    expect(await (await chat(s, {})).json()).toEqual({ custom: true });
  });

  it("cuts an answer off: content at the length limit, or the connection mid-body", async () => {
    const s = await start([
      { truncated: true, json: { pass: true, reason: "a fairly long reason" } },
      { truncated: true, how: "connection", text: "never complete" },
      { truncated: true, text: "one two three four five six seven eight" },
    ]);
    const cut = (await (await chat(s, {})).json()) as any;
    expect(cut.choices[0].finish_reason).toBe("length");
    const content = cut.choices[0].message.content as string;
    expect('{"pass":true,"reason":"a fairly long reason"}'.startsWith(content)).toBe(true);
    expect(() => JSON.parse(content)).toThrow();

    const dropped = await chat(s, {});
    expect(dropped.status).toBe(200);
    await expect(dropped.text()).rejects.toThrow();

    const stream = await chat(s, { stream: true });
    await expect(stream.text()).rejects.toThrow();
    expect(s.requests.map((r) => [r.status, r.outcome])).toEqual([
      [200, "truncated"],
      [null, "truncated"],
      [null, "truncated"],
    ]);
  });

  it("holds a hung request open until the client gives up, and close() drops whatever is still open", async () => {
    const s = await start([{ hang: true }, { hang: true }]);
    await expect(chat(s, {}, { signal: AbortSignal.timeout(150) })).rejects.toThrow();
    const pending = chat(s, {});
    await new Promise((r) => setTimeout(r, 50));
    await s.close();
    await expect(pending).rejects.toThrow();
    expect(s.requests.map((r) => r.outcome)).toEqual(["hang", "hang"]);
    server = undefined;
  });

  it("takes replies from a function, after any pushed ones, and says so when an array script runs out", async () => {
    const fn = await start((req) => `echo: ${messageText(req, "user")}`);
    fn.push("pushed first");
    const first = (await (await chat(fn, {})).json()) as any;
    const second = (await (await chat(fn, {})).json()) as any;
    expect([first.choices[0].message.content, second.choices[0].message.content]).toEqual([
      "pushed first",
      "echo: hi",
    ]);
    await fn.close();

    const s = await start([
      () => {
        throw new Error("bug in the script");
      },
    ]);
    const broken = await chat(s, {});
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as any).error).toMatchObject({ code: "script_error" });
    const res = await chat(s, {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toMatch(/script has no reply left for request #1/);
    expect(s.requests.map((r) => [r.status, r.outcome])).toEqual([
      [400, "error"],
      [400, "error"],
    ]);
  });

  it("lists models, answers 404 for unknown paths and 401 for a wrong key", async () => {
    const s = await start([], { apiKey: "k", models: ["m1", "m2"] });
    const list = (await (
      await fetch(`${s.url}/models`, { headers: { authorization: "Bearer k" } })
    ).json()) as any;
    expect(list).toMatchObject({ object: "list", data: [{ id: "m1", object: "model" }, { id: "m2" }] });
    expect(
      (await fetch(`${s.url}/embeddings`, { method: "POST", headers: { authorization: "Bearer k" } })).status,
    ).toBe(404);
    const denied = await chat(s, {}, { headers: { authorization: "Bearer wrong" } });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as any).error.code).toBe("invalid_api_key");
  });
});

describe("fake OpenAI server through ChatOpenAI", () => {
  it("invokes and streams, with token usage", async () => {
    const s = await start(["Paris is the capital of France.", "Streaming works word by word."]);
    const reply = await model(s).invoke("capital of France?");
    expect(reply.content).toBe("Paris is the capital of France.");
    expect(reply.usage_metadata?.output_tokens).toBe(Math.ceil(reply.content.length / 4));

    let text = "";
    let chunks = 0;
    let usage;
    for await (const chunk of await model(s).stream("stream please")) {
      text += chunk.text;
      chunks += 1;
      usage ??= chunk.usage_metadata;
    }
    expect(text).toBe("Streaming works word by word.");
    expect(chunks).toBeGreaterThan(3);
    expect(usage?.total_tokens).toBeGreaterThan(0);
    expect(s.requests[1]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("gives structured output through the default strict json_schema and through function calling", async () => {
    const s = await start([
      { json: { pass: true, reason: "fine" } },
      { json: { pass: false, reason: "wrong" } },
    ]);
    const viaSchema = await model(s).withStructuredOutput(Verdict, { name: "verdict" }).invoke("judge");
    expect(viaSchema).toEqual({ pass: true, reason: "fine" });
    expect(s.requests[0]!.body!.response_format).toMatchObject({
      type: "json_schema",
      json_schema: { name: "verdict", strict: true },
    });

    const viaTool = await model(s)
      .withStructuredOutput(Verdict, { name: "verdict", method: "functionCalling" })
      .invoke("judge");
    expect(viaTool).toEqual({ pass: false, reason: "wrong" });
    expect(s.requests[1]!.body).toMatchObject({
      tool_choice: { type: "function", function: { name: "verdict" } },
      tools: [{ type: "function", function: { name: "verdict" } }],
    });
    expect(s.requests[1]!.outcome).toBe("tool_calls");
  });

  it("accepts the planner's plan schema in strict mode", async () => {
    const plan = {
      steps: [
        {
          id: "s1",
          description: "d",
          tool: "search",
          args: "{}",
          depends_on: [],
          expected_output: "e",
          reflect: false,
        },
      ],
    };
    const s = await start([{ json: plan }]);
    const { value } = await invokeStructured(model(s), WirePlanSchema, [new HumanMessage("plan")], {
      name: "plan",
    });
    expect(value).toEqual(plan);
    expect(s.requests[0]).toMatchObject({ status: 200, outcome: "json_content" });
  });

  it("accepts the critic's scored verdict and the answer review's verdict in strict mode", async () => {
    const verdict = { pass: false, score: 0.4, reason: "add AMD" };
    const review = { complete: true, supported: false, problems: ["the 9.18 is not computed"] };
    const s = await start([{ json: verdict }, { json: review }]);
    const read = (schema: z.ZodType, name: string) =>
      invokeStructured(model(s), schema, [new HumanMessage(name)], { name });
    expect((await read(ReflectionVerdictSchema, "verdict")).value).toEqual(verdict);
    expect((await read(AnswerVerdictSchema, "answer_review")).value).toEqual(review);
    expect(s.requests.map((r) => [r.status, r.outcome])).toEqual([
      [200, "json_content"],
      [200, "json_content"],
    ]);
  });

  it("returns tool calls from bindTools, invoked and streamed", async () => {
    const calls = {
      toolCalls: [
        { name: "get_weather", args: { city: "Paris" } },
        { name: "get_weather", args: { city: "Rome" } },
      ],
    };
    const s = await start([calls, calls]);
    const bound = model(s).bindTools([weatherTool]);
    const reply = await bound.invoke("weather in Paris and Rome?");
    expect(reply.tool_calls?.map((c) => [c.name, c.args])).toEqual([
      ["get_weather", { city: "Paris" }],
      ["get_weather", { city: "Rome" }],
    ]);
    let acc: Awaited<ReturnType<typeof bound.invoke>> | undefined;
    for await (const chunk of await bound.stream("again"))
      acc = acc ? (acc.concat(chunk) as typeof acc) : chunk;
    expect(acc?.tool_calls?.map((c) => c.args)).toEqual([{ city: "Paris" }, { city: "Rome" }]);
  });

  it("surfaces a strict-mode refusal at once, without retrying", async () => {
    const s = await start(() => ({ json: {} }));
    const loose = z.object({ a: z.record(z.string(), z.number()), b: z.string().optional() });
    await expect(
      model(s, { maxRetries: 3 }).withStructuredOutput(loose, { name: "loose" }).invoke("x"),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/Invalid schema for response_format 'loose'/),
    });
    expect(s.requests).toHaveLength(1);
  });

  it("retries a 429 that carries Retry-After", async () => {
    const s = await start([{ status: 429, retryAfter: 1 }, "after the wait"]);
    const began = Date.now();
    const reply = await model(s, { maxRetries: 1 }).invoke("hi");
    expect(reply.content).toBe("after the wait");
    expect(Date.now() - began).toBeGreaterThanOrEqual(950);
    expect(s.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("retries a 429 without Retry-After in the provider's models, which plain ChatOpenAI gives up on", async () => {
    const s = await start([{ status: 429 }, { status: 429 }, "after backoff"]);
    await expect(model(s, { maxRetries: 2 }).invoke("hi")).rejects.toMatchObject({ status: 429 });
    expect(s.requests).toHaveLength(1);

    const provider = openAIModelProvider(
      { openaiApiKey: "test", openaiBaseUrl: s.url, models: {} },
      { maxRetries: 2 },
    );
    const reply = await (await provider("planner", resolveSettings({}))).invoke("hi");
    expect(reply.content).toBe("after backoff");
    expect(s.requests.map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it("still fails at once on an exhausted quota", async () => {
    const s = await start([
      {
        status: 429,
        body: {
          error: {
            message: "You exceeded your current quota.",
            type: "insufficient_quota",
            param: null,
            code: "insufficient_quota",
          },
        },
      },
      "never",
    ]);
    const provider = openAIModelProvider(
      { openaiApiKey: "test", openaiBaseUrl: s.url, models: {} },
      { maxRetries: 2 },
    );
    await expect((await provider("planner", resolveSettings({}))).invoke("hi")).rejects.toThrow(/quota/);
    expect(s.requests).toHaveLength(1);
  });

  it("takes the client's timeout and retries from OPENAI_TIMEOUT_MS / OPENAI_MAX_RETRIES", async () => {
    const s = await start([{ hang: true }, { hang: true }, "never"]);
    const env = readEnv({ OPENAI_BASE_URL: s.url, OPENAI_TIMEOUT_MS: "150", OPENAI_MAX_RETRIES: "1" });
    await expect(
      (await openAIModelProvider(env)("planner", resolveSettings({}))).invoke("hi"),
    ).rejects.toThrow(/timed out/i);
    expect(s.requests.map((r) => r.outcome)).toEqual(["hang", "hang"]);
    expect(() => readEnv({ OPENAI_TIMEOUT_MS: "soon" })).toThrow(
      'OPENAI_TIMEOUT_MS must be a whole number of at least 1 (got "soon")',
    );
  });

  it("times out a hung request after the client's timeout, retrying it first", async () => {
    const s = await start([{ hang: true }]);
    const began = Date.now();
    await expect(model(s, { timeout: 200, maxRetries: 0 }).invoke("hi")).rejects.toThrow(/timed out/i);
    expect(Date.now() - began).toBeLessThan(1500);
    expect(s.requests.map((r) => r.outcome)).toEqual(["hang"]);

    s.push({ hang: true }, "answered on the retry");
    const reply = await model(s, { timeout: 200, maxRetries: 1 }).invoke("hi");
    expect(reply.content).toBe("answered on the retry");
    expect(s.requests.map((r) => r.outcome)).toEqual(["hang", "hang", "text"]);
  });

  it("surfaces a truncated JSON answer as an error (a StructuredOutputError through invokeStructured)", async () => {
    const cut = { truncated: true as const, json: { pass: true, reason: "a fairly long reason" } };
    const s = await start([cut, cut, cut]);
    await expect(model(s).withStructuredOutput(Verdict, { name: "verdict" }).invoke("x")).rejects.toThrow(
      /length limit/,
    );
    await expect(
      invokeStructured(model(s), Verdict, [new HumanMessage("x")], { name: "verdict" }),
    ).rejects.toThrow(StructuredOutputError);
    // ChatOpenAI uses function calling for "gpt-4": the cut arguments come back unparsed, and
    // invokeStructured refuses them.
    await expect(
      invokeStructured(model(s, { model: "gpt-4" }), Verdict, [new HumanMessage("x")], { name: "verdict" }),
    ).rejects.toThrow(/did not match the verdict schema/);
    expect(s.requests[2]!.body!.tool_choice).toMatchObject({ function: { name: "verdict" } });
  });

  it("fails a stream whose connection drops, and reports finish_reason length for a stream cut at the limit", async () => {
    const s = await start([
      { truncated: true, text: "one two three four five six seven eight" },
      { truncated: true, how: "content", text: "one two three four five six seven eight" },
    ]);
    const read = async () => {
      let text = "";
      let finish: unknown;
      for await (const chunk of await model(s).stream("x")) {
        text += chunk.text;
        finish ??= chunk.response_metadata?.finish_reason;
      }
      return { text, finish };
    };
    await expect(read()).rejects.toThrow(/terminated/);
    expect(await read()).toEqual({ text: "one two three four ", finish: "length" });
  });
});
