import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  formatContext,
  STRICT_UNSUPPORTED_KEYWORDS,
  strictSchemaProblems,
} from "../../src/testing/fake-openai/strict.js";
import { CriticVerdictSchema } from "../../src/nodes/evaluator.js";
import { AnswerVerdictSchema, ReflectionVerdictSchema } from "../../src/nodes/quality-prompts.js";
import { WirePlanSchema } from "../../src/plan/schema.js";
import { JudgeSchema, WireCandidatesSchema } from "../../src/nodes/plan-search.js";

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: "object",
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe("strictSchemaProblems", () => {
  it("accepts the agent's own structured-output schemas as zod renders them", () => {
    expect(strictSchemaProblems(z.toJSONSchema(WirePlanSchema))).toEqual([]);
    expect(strictSchemaProblems(z.toJSONSchema(CriticVerdictSchema))).toEqual([]);
    expect(strictSchemaProblems(z.toJSONSchema(ReflectionVerdictSchema))).toEqual([]);
    expect(strictSchemaProblems(z.toJSONSchema(AnswerVerdictSchema))).toEqual([]);
    // Plan search: k candidate plans in one answer, and the value judge's scores.
    expect(strictSchemaProblems(z.toJSONSchema(WireCandidatesSchema))).toEqual([]);
    expect(strictSchemaProblems(z.toJSONSchema(JudgeSchema))).toEqual([]);
  });

  it("accepts nullable fields, enums, anyOf below the root, $defs references and recursion", () => {
    const schema = closed(
      {
        name: { type: ["string", "null"] },
        kind: { type: "string", enum: ["a", "b"] },
        value: {
          anyOf: [
            { type: "number", minimum: 0 },
            { type: "string", pattern: "^x" },
          ],
        },
        child: { $ref: "#/$defs/node" },
        self: { anyOf: [{ $ref: "#" }, { type: "null" }] },
        tags: { type: "array", items: { type: "string", format: "date" }, minItems: 1 },
      },
      {
        $defs: {
          node: closed({
            label: { type: "string" },
            next: { anyOf: [{ $ref: "#/$defs/node" }, { type: "null" }] },
          }),
        },
      },
    );
    expect(strictSchemaProblems(schema)).toEqual([]);
  });

  it("refuses an open object and an optional field, naming where", () => {
    const schema = z.toJSONSchema(
      z.object({ a: z.string(), b: z.string().optional(), nested: z.object({ c: z.number() }) }),
    );
    expect(strictSchemaProblems(schema)).toEqual([
      "In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'.",
    ]);
    const open = {
      type: "object",
      properties: { x: { type: "object", properties: { y: { type: "string" } } } },
    };
    expect(strictSchemaProblems(open)).toEqual([
      "In context=(), 'additionalProperties' is required to be supplied and to be false.",
      "In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'x'.",
      "In context=('properties', 'x'), 'additionalProperties' is required to be supplied and to be false.",
      "In context=('properties', 'x'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'y'.",
    ]);
  });

  it("refuses a free-form record, the shape that made the first plan schema fail", () => {
    const problems = strictSchemaProblems(
      z.toJSONSchema(z.object({ args: z.record(z.string(), z.unknown()) }).strict()),
    );
    expect(problems).toContain("In context=('properties', 'args'), 'propertyNames' is not permitted.");
    expect(problems).toContain(
      "In context=('properties', 'args'), 'additionalProperties' is required to be supplied and to be false.",
    );
  });

  it("refuses a root that is not an object", () => {
    expect(strictSchemaProblems({ type: "array", items: { type: "string" } })[0]).toBe(
      `schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
    );
    expect(strictSchemaProblems({ anyOf: [closed({}), closed({ a: { type: "string" } })] })[0]).toBe(
      `schema must be a JSON Schema of 'type: "object"', got 'anyOf'.`,
    );
    expect(strictSchemaProblems(true)).toEqual([
      "schema must be a JSON Schema object, got the boolean schema true.",
    ]);
  });

  it.each(STRICT_UNSUPPORTED_KEYWORDS)("refuses the keyword %s", (keyword) => {
    const schema = closed({ field: { type: "string", [keyword]: keyword === "default" ? "x" : 1 } });
    expect(strictSchemaProblems(schema)).toEqual([
      `In context=('properties', 'field'), '${keyword}' is not permitted.`,
    ]);
  });

  it("refuses untyped subschemas, unresolved references, extra required keys and arrays without items", () => {
    const schema = closed(
      { any: {}, ref: { $ref: "#/$defs/missing" }, list: { type: "array" } },
      { required: ["any", "ref", "list", "ghost"] },
    );
    expect(strictSchemaProblems(schema)).toEqual([
      "In context=(), Extra required key 'ghost' supplied.",
      "In context=('properties', 'any'), schema must have a 'type' key.",
      `In context=('properties', 'ref'), reference "#/$defs/missing" cannot be resolved.`,
      "In context=('properties', 'list'), 'items' is required for an array schema.",
    ]);
  });

  it("checks definitions and limits nesting depth", () => {
    expect(
      strictSchemaProblems(closed({}, { $defs: { loose: { type: "object", properties: {} } } })),
    ).toEqual([
      "In context=('$defs', 'loose'), 'additionalProperties' is required to be supplied and to be false.",
    ]);
    let deep: Record<string, unknown> = closed({ leaf: { type: "string" } });
    for (let i = 0; i < 10; i++) deep = closed({ inner: deep });
    expect(strictSchemaProblems(deep)).toEqual([
      `In context=${formatContext(Array.from({ length: 10 }, () => ["properties", "inner"]).flat())}, objects are nested more than 10 levels deep.`,
    ]);
  });

  it("formats contexts as the real API does", () => {
    expect(formatContext([])).toBe("()");
    expect(formatContext(["properties"])).toBe("('properties',)");
    expect(formatContext(["properties", "steps", "items", 0])).toBe("('properties', 'steps', 'items', 0)");
  });
});
