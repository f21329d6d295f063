import { describe, expect, it } from "vitest";
import { findReferences, resolveReferences, TemplateError } from "../../src/plan/template.js";

const outputs = {
  step_1: { results: [{ facts: { revenue: 60.92 } }], query: "q" },
  step_10: "ten",
  step_2: 42,
  step_3: "plain text",
  step_4: null,
  step_5: [1, 2, 3],
};

describe("resolveReferences", () => {
  it.each([
    ["whole reference keeps a number", "{{step_2.output}}", 42],
    ["whole reference with spaces keeps a number", "  {{ step_2.output }} ", 42],
    ["whole reference keeps an object", "{{step_1.output.results.0.facts}}", { revenue: 60.92 }],
    ["nested path to a number", "{{step_1.output.results.0.facts.revenue}}", 60.92],
    ["whole reference keeps null", "{{step_4.output}}", null],
    ["whole reference keeps an array", "{{step_5.output}}", [1, 2, 3]],
    ["array index", "{{step_5.output.2}}", 3],
    ["embedded number is stringified", "x = {{step_2.output}} / 2", "x = 42 / 2"],
    ["embedded object becomes JSON", "facts: {{step_1.output.results.0.facts}}", 'facts: {"revenue":60.92}'],
    ["two embedded references", "{{step_2.output}}+{{step_1.output.results.0.facts.revenue}}", "42+60.92"],
    ["step_1 does not match inside step_10", "{{step_10.output}}", "ten"],
    ["step_10 embedded next to step_1", "{{step_1.output.query}}-{{step_10.output}}", "q-ten"],
    ["text without references is unchanged", "no refs {{ here", "no refs {{ here"],
    ["single braces are not references", "{step_2.output}", "{step_2.output}"],
  ])("%s", (_name, input, expected) => {
    expect(resolveReferences(input, outputs)).toEqual(expected);
  });

  it("walks nested args objects and arrays", () => {
    const args = { a: ["{{step_2.output}}", { b: "n={{step_2.output}}" }], c: 7, d: true };
    expect(resolveReferences(args, outputs)).toEqual({ a: [42, { b: "n=42" }], c: 7, d: true });
  });

  it("does not mutate its input", () => {
    const args = { x: "{{step_2.output}}" };
    resolveReferences(args, outputs);
    expect(args).toEqual({ x: "{{step_2.output}}" });
  });

  it.each([
    ["a step with no output", "{{step_9.output}}", /step "step_9" has no output yet/],
    ["a missing key", "{{step_1.output.nope}}", /output has no "nope".*keys results, query/],
    ["an index past the end", "{{step_5.output.7}}", /output has no "7" \(it is an array of 3\)/],
    ["a path into text", "{{step_3.output.length}}", /it is a string/],
    ["a path through null", "{{step_4.output.x}}", /it is null/],
    ["a missing embedded reference", "total: {{step_1.output.results.0.facts.cost}}", /has no "cost"/],
  ])("throws a TemplateError for %s", (_name, input, message) => {
    expect(() => resolveReferences(input, outputs)).toThrow(TemplateError);
    expect(() => resolveReferences(input, outputs)).toThrow(message);
  });

  it("does not read inherited properties", () => {
    expect(() => resolveReferences("{{step_1.output.constructor}}", outputs)).toThrow(TemplateError);
  });
});

describe("findReferences", () => {
  it("lists every reference with its path", () => {
    const refs = findReferences({ e: "{{step_1.output.a.0}} + {{step_10.output}}", n: ["{{s-x.output}}"] });
    expect(refs.map((r) => [r.stepId, r.path])).toEqual([
      ["step_1", ["a", "0"]],
      ["step_10", []],
      ["s-x", []],
    ]);
  });
});
