import { ToolMessage } from "@langchain/core/messages";
import { DynamicStructuredTool, tool } from "@langchain/core/tools";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { z as z3 } from "zod/v3";
import { ToolRegistry } from "../../src/tools/registry.js";
import { fromLangChainTool, normalizeToolOutput, planSchemaOf } from "../../src/tools/langchain.js";
import { ToolInputError } from "../../src/tools/types.js";
import { runTool, toolContext } from "../fixtures/tool-context.js";

const weather = tool(async ({ city, unit }) => JSON.stringify({ city, temp: unit === "C" ? 21 : 70 }), {
  name: "weather",
  description: "Current weather of a city.",
  schema: z.object({
    city: z.string().describe("City name"),
    unit: z.enum(["C", "F"]).default("C").describe("Temperature unit"),
  }),
});

describe("fromLangChainTool", () => {
  it("is HIGH when no tier is given, else the given tier", () => {
    expect(fromLangChainTool(weather).risk).toBe("HIGH");
    expect(fromLangChainTool(weather, "LOW").risk).toBe("LOW");
    expect(fromLangChainTool(weather, "MEDIUM", { timeoutMs: 5_000 }).timeoutMs).toBe(5_000);
  });

  it("keeps the name, description and zod schema, and runs the tool", async () => {
    const plan = fromLangChainTool(weather, "LOW");
    expect(plan.name).toBe("weather");
    expect(plan.description).toBe("Current weather of a city.");
    expect(plan.schema).toBe(weather.schema);
    expect(plan.schema.safeParse({}).success).toBe(false);
    // A JSON-object answer becomes an object, so later steps can reference its fields.
    await expect(runTool(plan, { city: "Oslo" })).resolves.toEqual({ city: "Oslo", temp: 21 });
  });

  it("shows the tool's fields in the planner prompt", () => {
    const text = new ToolRegistry([fromLangChainTool(weather, "LOW")]).describeForPrompt();
    expect(text).toBe(
      '- weather(city: string, unit?: "C" | "F" = "C") [LOW]: Current weather of a city.\n' +
        "    city: City name\n    unit: Temperature unit",
    );
  });

  it("converts zod 3 and JSON schemas so that they validate and describe", () => {
    const v3 = planSchemaOf(z3.object({ q: z3.string().describe("query"), n: z3.number().optional() }));
    expect(v3.safeParse({ q: "x" }).success).toBe(true);
    expect(v3.safeParse({ n: 1 }).success).toBe(false);
    expect(JSON.stringify(z.toJSONSchema(v3))).toContain('"description":"query"');
    const json = planSchemaOf({
      type: "object",
      properties: { a: { type: "number" } },
      required: ["a"],
    });
    expect(json.safeParse({ a: 1 }).success).toBe(true);
    expect(json.safeParse({ a: "1" }).success).toBe(false);
  });

  it("accepts any object when the tool has no usable schema", () => {
    const schema = planSchemaOf(undefined);
    expect(schema.safeParse({ anything: [1, 2] }).success).toBe(true);
    expect(schema.safeParse("text").success).toBe(false);
  });

  it("turns the tool's input-parsing error into a ToolInputError", async () => {
    const strict = new DynamicStructuredTool({
      name: "strict",
      description: "x",
      schema: { type: "object" as const, properties: { a: { type: "number" as const } }, required: ["a"] },
      func: async () => "ok",
    });
    const plan = fromLangChainTool(strict);
    await expect(plan.run({ a: "nope" }, toolContext())).rejects.toBeInstanceOf(ToolInputError);
  });

  it("passes the step's abort signal to the tool", async () => {
    let received: AbortSignal | undefined;
    const slow = tool(
      async (_input, config) => {
        received = config.signal;
        return "done";
      },
      { name: "slow", description: "x", schema: z.object({}) },
    );
    const controller = new AbortController();
    await fromLangChainTool(slow).run({}, toolContext({ signal: controller.signal }));
    expect(received).toBeDefined();
    controller.abort();
    expect(received?.aborted).toBe(true);
  });

  it("normalises tool results", () => {
    expect(normalizeToolOutput("plain")).toBe("plain");
    expect(normalizeToolOutput('{"a":1}')).toEqual({ a: 1 });
    expect(
      normalizeToolOutput([
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ]),
    ).toBe("a\nb");
    expect(normalizeToolOutput(new ToolMessage({ content: "from message", tool_call_id: "1" }))).toBe(
      "from message",
    );
    expect(normalizeToolOutput({ type: "text", text: "5", structuredContent: { sum: 5 } })).toEqual({
      sum: 5,
    });
    expect(normalizeToolOutput({ x: 1 })).toEqual({ x: 1 });
  });
});
