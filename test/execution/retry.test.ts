import { ChatOpenAI } from "@langchain/openai";
import { describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeReply } from "../../src/testing/fake-openai/index.js";
import { isTransient, StepTimeoutError } from "../../src/execution/retry.js";
import { ToolInputError, TransientToolError } from "../../src/tools/types.js";

/** What a model call throws against the local server, with the client's own retries off. */
async function errorOf(reply: FakeReply, timeout = 5_000) {
  const server = await startFakeOpenAI({ script: [reply] });
  try {
    const model = new ChatOpenAI({
      model: "m",
      apiKey: "k",
      maxRetries: 0,
      timeout,
      configuration: { baseURL: server.url },
    });
    return await model.invoke("hi").then(
      () => undefined,
      (err: unknown) => err,
    );
  } finally {
    await server.close();
  }
}

describe("isTransient", () => {
  it("retries what another attempt could fix", () => {
    expect(isTransient(new TransientToolError("busy"))).toBe(true);
    expect(isTransient(new StepTimeoutError(10))).toBe(true);
    expect(isTransient(Object.assign(new Error("x"), { status: 503 }))).toBe(true);
    expect(isTransient(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(true);
    expect(isTransient(new TypeError("fetch failed", { cause: { code: "ECONNREFUSED" } }))).toBe(true);
    expect(isTransient(new DOMException("The operation timed out.", "TimeoutError"))).toBe(true);
  });

  it("does not retry what would fail the same way", () => {
    expect(isTransient(new ToolInputError("bad args"))).toBe(false);
    expect(isTransient(Object.assign(new Error("x"), { status: 400 }))).toBe(false);
    expect(isTransient(new Error("Undefined symbol x"))).toBe(false);
    expect(isTransient("a string")).toBe(false);
  });

  it("treats ChatOpenAI's client timeout against a hung endpoint as transient, and a 400 as not", async () => {
    const timedOut = await errorOf({ hang: true }, 200);
    expect(timedOut).toBeInstanceOf(Error);
    expect(isTransient(timedOut)).toBe(true);
    const refused = await errorOf({ status: 400, message: "bad request" });
    expect(isTransient(refused)).toBe(false);
    const overloaded = await errorOf({ status: 503, message: "overloaded" });
    expect(isTransient(overloaded)).toBe(true);
  });
});
