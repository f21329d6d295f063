import { HumanMessage } from "@langchain/core/messages";
import { Annotation, START, StateGraph } from "@langchain/langgraph";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { invokeStructured, StructuredOutputError } from "../../src/models/structured.js";
import { ScriptedChatModel, scriptedRoles } from "../../src/testing/scripted.js";

const Schema = z.object({ a: z.number() }).strict();

describe("ScriptedChatModel", () => {
  it("answers in FIFO order and records every call", async () => {
    const m = new ScriptedChatModel({ replies: ["one", { text: "two" }] });
    expect((await m.invoke("first")).content).toBe("one");
    expect((await m.invoke("second")).content).toBe("two");
    expect(m.callCount).toBe(2);
    expect(m.calls[1]?.messages[0]?.content).toBe("second");
  });

  it("computes a reply from the prompt", async () => {
    const m = new ScriptedChatModel({ replies: [(msgs) => `you said ${String(msgs.at(-1)?.content)}`] });
    expect((await m.invoke([new HumanMessage("hi")])).content).toBe("you said hi");
  });

  it("answers withStructuredOutput through the bound function, with usage on the raw message", async () => {
    const m = new ScriptedChatModel({ replies: [{ structured: { a: 1 } }] });
    const { raw, parsed } = await m
      .withStructuredOutput(Schema, { name: "thing", includeRaw: true })
      .invoke("x");
    expect(parsed).toEqual({ a: 1 });
    expect(
      (raw as { usage_metadata?: { total_tokens: number } }).usage_metadata?.total_tokens,
    ).toBeGreaterThan(0);
    expect(m.calls[0]?.tools).toEqual(["thing"]);
  });

  it("fails a structured call that got text, as a real model's parser would", async () => {
    const m = new ScriptedChatModel({ replies: ["I would rather chat", "still chatting"] });
    await expect(m.withStructuredOutput(Schema, { name: "thing" }).invoke("x")).rejects.toThrow(
      /No tool calls/,
    );
    await expect(invokeStructured(m, Schema, [new HumanMessage("x")], { name: "thing" })).rejects.toThrow(
      StructuredOutputError,
    );
  });

  it("rejects structured args that do not match the schema in invokeStructured", async () => {
    const m = new ScriptedChatModel({ replies: [{ structured: { a: "nope" } }] });
    await expect(invokeStructured(m, Schema, [new HumanMessage("x")], { name: "thing" })).rejects.toThrow(
      /did not match the thing schema: a:/,
    );
  });

  it("throws scripted errors", async () => {
    const err = Object.assign(new Error("rate limited"), { status: 429 });
    const m = new ScriptedChatModel({ replies: [{ error: err }, { error: "plain" }] });
    await expect(m.invoke("x")).rejects.toBe(err);
    await expect(m.invoke("x")).rejects.toThrow("plain");
  });

  it("delays a reply and honours an abort", async () => {
    const m = new ScriptedChatModel({ replies: [{ delayMs: 5_000, reply: "late" }] });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error("stop")), 30);
    await expect(m.invoke("x", { signal: controller.signal })).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("says clearly when the script has run out", async () => {
    const m = new ScriptedChatModel({ name: "planner", replies: ["only"] });
    await m.invoke("a");
    await expect(m.invoke([new HumanMessage("what now?")])).rejects.toThrow(
      /scripted model "planner" has no reply left \(it answered 1 times\); last prompt: what now\?/,
    );
  });

  it("uses the fallback when the queue is empty", async () => {
    const m = new ScriptedChatModel({ fallback: "default" });
    expect((await m.invoke("a")).content).toBe("default");
  });

  it("streams text in several chunks that add up to the reply", async () => {
    const text = "one two three four five six seven";
    const m = new ScriptedChatModel({ replies: [text] });
    const chunks: string[] = [];
    for await (const chunk of await m.stream("x")) chunks.push(String(chunk.content));
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.join("")).toBe(text);
  });

  it("shares the queue between clones made by bindTools", async () => {
    const m = new ScriptedChatModel({ replies: ["a", "b"] });
    const bound = m.bindTools([{ name: "t1" }, { type: "function", function: { name: "t2" } }]);
    expect((await bound.invoke("x")).content).toBe("a");
    expect((await m.invoke("x")).content).toBe("b");
    expect(m.calls.map((c) => c.tools)).toEqual([["t1", "t2"], []]);
  });

  it("builds one model per role", () => {
    const roles = scriptedRoles({ planner: ["p"] });
    expect(Object.keys(roles)).toEqual(["planner", "executor", "evaluator", "synthesizer"]);
    expect(roles.planner.remaining).toBe(1);
    expect(roles.executor.modelName).toBe("scripted-executor");
  });
});

describe("ScriptedChatModel, in more detail", () => {
  const Thing = z.object({ a: z.number() });

  it("returns the parsed object from withStructuredOutput, consuming the shared queue", async () => {
    const m = new ScriptedChatModel({ replies: [{ structured: { a: 2 } }, "after"] });
    expect(await m.withStructuredOutput(Thing).invoke("x")).toEqual({ a: 2 });
    expect((await m.invoke("y")).content).toBe("after");
    expect(m.calls.map((c) => c.tools)).toEqual([["extract"], []]);
  });

  it("answers a structured reply as a tool call with an id, empty content and usage", async () => {
    const m = new ScriptedChatModel({ name: "p", replies: [{ structured: { a: 3 } }] });
    const raw = await m.bindTools([{ name: "thing" }]).invoke("12345678");
    expect(raw.content).toBe("");
    expect(raw.tool_calls).toEqual([{ name: "thing", args: { a: 3 }, id: "call_1", type: "tool_call" }]);
    // ceil(8/4) = 2 in; ceil('{"a":3}'.length / 4) = 2 out.
    expect(raw.usage_metadata).toEqual({ input_tokens: 2, output_tokens: 2, total_tokens: 4 });
    expect(raw.response_metadata.model_name).toBe("p");
  });

  it("gives parsed: null for a text reply with includeRaw", async () => {
    const m = new ScriptedChatModel({ replies: ["just text"] });
    const { raw, parsed } = await m.withStructuredOutput(Thing, { includeRaw: true }).invoke("x");
    expect(parsed).toBeNull();
    expect(raw.content).toBe("just text");
  });

  it("lets function replies compute async, delayed and structured answers", async () => {
    const m = new ScriptedChatModel({
      replies: [async (msgs) => ({ delayMs: 5, reply: { structured: { a: msgs.length } } })],
    });
    const out = await m.withStructuredOutput(Thing).invoke([new HumanMessage("a"), new HumanMessage("b")]);
    expect(out).toEqual({ a: 2 });
  });

  it("rejects at once when the signal is already aborted", async () => {
    const m = new ScriptedChatModel({ replies: [{ delayMs: 5_000, reply: "late" }] });
    await expect(m.invoke("x", { signal: AbortSignal.abort(new Error("gone")) })).rejects.toThrow();
  });

  it("shares the queue with withConfig and records per-call tools", async () => {
    const m = new ScriptedChatModel({ replies: ["a", "b"] });
    expect((await m.withConfig({ tools: [{ name: "t" }] }).invoke("x")).content).toBe("a");
    expect(m.remaining).toBe(1);
    expect(m.calls[0]?.tools).toEqual(["t"]);
  });

  it("puts usage and the model name on the last streamed chunk only", async () => {
    const m = new ScriptedChatModel({ name: "s", replies: ["a b c d e f g"] });
    const chunks = [];
    for await (const chunk of await m.stream("x")) chunks.push(chunk);
    expect(chunks.map((c) => c.content)).toEqual(["a b c ", "d e f ", "g"]);
    expect(chunks.slice(0, -1).every((c) => c.usage_metadata === undefined)).toBe(true);
    expect(chunks.at(-1)?.usage_metadata).toEqual({ input_tokens: 1, output_tokens: 4, total_tokens: 5 });
    expect(chunks.at(-1)?.response_metadata.model_name).toBe("s");
  });

  it("streams tokens to LangGraph's messages mode and still parses structured output there", async () => {
    const m = new ScriptedChatModel({ replies: [{ structured: { a: 7 } }, "one two three four five six"] });
    const State = new StateGraph(Annotation.Root({ a: Annotation<number>, text: Annotation<string> }))
      .addNode("ask", async () => {
        const { a } = await m.withStructuredOutput(Thing, { name: "thing" }).invoke("x");
        const reply = await m.invoke("y");
        return { a, text: String(reply.content) };
      })
      .addEdge(START, "ask")
      .compile();
    const tokens: string[] = [];
    let last: { a?: number } = {};
    for await (const [mode, chunk] of await State.stream({}, { streamMode: ["messages", "values"] })) {
      if (mode === "messages") tokens.push(String(chunk[0].content));
      else last = chunk;
    }
    // The structured call streams as one empty-content tool-call chunk; the text in word groups.
    expect(tokens).toEqual(["", "one two three ", "four five six"]);
    expect(last.a).toBe(7);
  });
});
