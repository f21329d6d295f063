import { describe, expect, it } from "vitest";
import {
  MAX_ARGS_CHARS,
  MAX_DESCRIPTION_CHARS,
  MAX_EXPECTED_OUTPUT_CHARS,
  MAX_PLAN_CHARS,
} from "../../src/plan/limits.js";
import type { PlanStep } from "../../src/plan/schema.js";
import { formatIssues, validatePlan, type PlanIssueCode } from "../../src/plan/validate.js";
import { basicRegistry } from "../helpers/tools.js";

const step = (id: string, over: Partial<PlanStep> = {}): PlanStep => ({
  id,
  description: `do ${id}`,
  tool: "echo",
  args: { text: id },
  depends_on: [],
  expected_output: "text",
  ...over,
});

const ctx = { tools: basicRegistry(), maxSteps: 5 };

describe("validatePlan", () => {
  it("accepts a valid plan with references through dependencies", () => {
    const plan = [
      step("a"),
      step("b", { tool: "add", args: { a: 1, b: 2 } }),
      step("c", { tool: "add", args: { a: "{{b.output}}", b: 3 }, depends_on: ["b"] }),
      step("d", { args: { text: "{{a.output}} and {{c.output}}" }, depends_on: ["c", "a"] }),
      // a transitive reference: d → c → b
      step("e", { tool: "add", args: { a: "{{b.output}}", b: 1 }, depends_on: ["d"] }),
    ];
    expect(validatePlan(plan, ctx)).toEqual([]);
  });

  const cases: [string, PlanStep[], PlanIssueCode, RegExp, object?][] = [
    ["an empty plan", [], "empty_plan", /no steps/],
    [
      "too many steps",
      ["a", "b", "c", "d", "e", "f"].map((id) => step(id)),
      "too_many_steps",
      /6 steps; at most 5/,
    ],
    ["a duplicate id", [step("a"), step("a")], "duplicate_id", /"a" is used more than once/],
    ["an unknown tool", [step("a", { tool: "shell" })], "unknown_tool", /unknown tool "shell".*echo, add/],
    [
      "args of the wrong type",
      [step("a", { tool: "add", args: { a: "1", b: 2 } })],
      "invalid_args",
      /at a: /,
    ],
    ["a missing required arg", [step("a", { tool: "add", args: { a: 1 } })], "invalid_args", /at b: /],
    [
      "an unexpected arg",
      [step("a", { args: { text: "x", extra: 1 } })],
      "invalid_args",
      /invalid at \(root\)/,
    ],
    [
      "a missing dependency",
      [step("a", { depends_on: ["ghost"] })],
      "missing_dependency",
      /depends on "ghost"/,
    ],
    [
      "a cycle, named",
      [step("a", { depends_on: ["c"] }), step("b", { depends_on: ["a"] }), step("c", { depends_on: ["b"] })],
      "cycle",
      /cycle: a → c → b → a/,
    ],
    ["a self-dependency", [step("a", { depends_on: ["a"] })], "cycle", /a → a/],
    [
      "a reference to a step that is not a dependency",
      [step("a"), step("b", { args: { text: "{{a.output}}" } })],
      "bad_reference",
      /b references \{\{a.output\}\}.*not among its dependencies/,
    ],
    [
      "a reference to a later sibling",
      [
        step("a", { depends_on: [] }),
        step("b", { depends_on: ["a"], args: { text: "{{c.output}}" } }),
        step("c"),
      ],
      "bad_reference",
      /"c" is not among its dependencies/,
    ],
    [
      "a reference to itself",
      [step("a", { args: { text: "{{a.output}}" } })],
      "bad_reference",
      /a references/,
    ],
    [
      "a path that a finished output does not have",
      [step("n", { args: { text: "{{old.output.missing}}" }, depends_on: ["old"] })],
      "bad_reference",
      /has no "missing"/,
      { finished: { old: { present: 1 } } },
    ],
    [
      "an id that a finished step already has",
      [step("old")],
      "id_clash",
      /"old" belongs to an earlier step/,
      { finished: { old: 1 } },
    ],
    ["an id that a failed step had", [step("bad")], "id_clash", /"bad"/, { reservedIds: ["bad"] }],
    [
      "the id __proto__",
      [step("__proto__")],
      "invalid_id",
      /^step id "__proto__" is not allowed: ids start with a letter and use letters, digits, _ and - \(at most 64\)$/,
    ],
    ["an empty id", [step("")], "invalid_id", /^step id "" is not allowed: ids start with a letter/],
    ["an id with a space", [step("step 1")], "invalid_id", /^step id "step 1" is not allowed/],
    ["a dotted id", [step("step.1")], "invalid_id", /^step id "step.1" is not allowed/],
    ["a non-ASCII id", [step("schritt_ä")], "invalid_id", /^step id "schritt_ä" is not allowed/],
    ["an id over 64 characters", [step(`s${"1".repeat(64)}`)], "invalid_id", /it has 65 characters/],
    [
      "the reserved id constructor",
      [step("constructor")],
      "invalid_id",
      /"constructor" is not allowed: it is a reserved name/,
    ],
    [
      "the reserved id toString",
      [step("toString")],
      "invalid_id",
      /"toString" is not allowed: it is a reserved name/,
    ],
    [
      "a depends_on entry __proto__",
      [step("a", { depends_on: ["__proto__"] })],
      "invalid_id",
      /^a: depends_on entry "__proto__" is not allowed: ids start with a letter/,
    ],
    [
      "a depends_on entry that is a reserved name",
      [step("a", { depends_on: ["hasOwnProperty"] })],
      "invalid_id",
      /^a: depends_on entry "hasOwnProperty" is not allowed: it is a reserved name/,
    ],
    [
      "a 1 MB description",
      [step("a", { description: "d".repeat(1_000_000) })],
      "too_large",
      /^a: description is 1,000,000 characters; at most 2,000 are allowed\./,
    ],
    [
      "a long expected_output",
      [step("a", { expected_output: "e".repeat(MAX_EXPECTED_OUTPUT_CHARS + 1) })],
      "too_large",
      /^a: expected_output is 2,001 characters; at most 2,000/,
    ],
    [
      "a long tool name",
      [step("a", { tool: "t".repeat(129) })],
      "too_large",
      /^a: tool is 129 characters; at most 128/,
    ],
    [
      "args over the limit",
      [step("a", { args: { text: "x".repeat(MAX_ARGS_CHARS) } })],
      "too_large",
      /^a: args \(as JSON\) is 20,011 characters; at most 20,000 are allowed\. Pass large data .*\{\{step_id\.output\}\} reference/,
    ],
  ];

  it.each(cases)("refuses %s", (_name, plan, code, message, extra) => {
    const issues = validatePlan(plan, { ...ctx, ...extra });
    const hit = issues.find((i) => i.code === code);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit?.message).toMatch(message);
  });

  it("accepts text fields and args exactly at their limits", () => {
    const text = "x".repeat(MAX_ARGS_CHARS - '{"text":""}'.length);
    const plan = [
      step("a", {
        description: "d".repeat(MAX_DESCRIPTION_CHARS),
        expected_output: "e".repeat(MAX_EXPECTED_OUTPUT_CHARS),
        args: { text },
      }),
    ];
    expect(JSON.stringify(plan[0]?.args)).toHaveLength(MAX_ARGS_CHARS);
    expect(validatePlan(plan, ctx)).toEqual([]);
  });

  it("refuses a plan over the whole-plan limit for its size alone, every field within its own", () => {
    const text = "x".repeat(MAX_ARGS_CHARS - 100);
    const plan = Array.from({ length: 11 }, (_, i) => step(`s${i}`, { tool: "nope", args: { text } }));
    const issues = validatePlan(plan, { ...ctx, maxSteps: 20 });
    expect(issues).toEqual([
      {
        code: "too_large",
        message: expect.stringMatching(
          new RegExp(
            `^The plan is 2\\d\\d,\\d{3} characters as JSON; at most ${MAX_PLAN_CHARS.toLocaleString("en-US")} are allowed`,
          ),
        ),
      },
    ]);
  });

  it("keeps every message short when the model's text runs away", () => {
    // 5 × 30,000 characters (id, tool, dependency, description, args): under the whole-plan limit,
    // so every check runs and reports.
    const huge = "z".repeat(30_000);
    const plan = [step(huge, { tool: huge, depends_on: [huge], description: huge })];
    const issues = validatePlan(plan, ctx);
    expect(issues.map((i) => i.code)).toEqual(
      expect.arrayContaining(["too_large", "invalid_id", "unknown_tool"]),
    );
    expect(formatIssues(issues).length).toBeLessThan(2_000);
  });

  it("takes finished outputs as a Map and never counts inherited properties as finished", () => {
    const plan = [step("n", { tool: "add", args: { a: "{{old.output.x}}", b: 1 }, depends_on: ["old"] })];
    expect(validatePlan(plan, { ...ctx, finished: new Map([["old", { x: 2 }]]) })).toEqual([]);
    const inherited = [step("n", { depends_on: ["valueOf"] })];
    expect(validatePlan(inherited, { ...ctx, finished: {} }).map((i) => i.code)).toEqual(["invalid_id"]);
  });

  it("lets a whole-string reference stand in for a typed value", () => {
    const plan = [
      step("a", { tool: "add", args: { a: 1, b: 2 } }),
      step("b", { tool: "add", args: { a: "{{a.output}}", b: 1 }, depends_on: ["a"] }),
    ];
    expect(validatePlan(plan, ctx)).toEqual([]);
  });

  it("still checks fields next to a reference", () => {
    const plan = [
      step("a", { tool: "add", args: { a: 1, b: 2 } }),
      step("b", { tool: "add", args: { a: "{{a.output}}", b: "x" }, depends_on: ["a"] }),
    ];
    const issues = validatePlan(plan, ctx);
    expect(issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/b: args for "add" are invalid at b/),
    ]);
  });

  it("accepts depending on and referencing finished steps in a replan", () => {
    const plan = [step("n", { tool: "add", args: { a: "{{old.output.x}}", b: 1 }, depends_on: ["old"] })];
    expect(validatePlan(plan, { ...ctx, finished: { old: { x: 2 } } })).toEqual([]);
  });

  it("reports every problem at once", () => {
    const plan = [step("a", { tool: "nope", depends_on: ["zzz"] }), step("a")];
    const codes = validatePlan(plan, ctx).map((i) => i.code);
    expect(codes).toEqual(expect.arrayContaining(["duplicate_id", "unknown_tool", "missing_dependency"]));
  });
});
