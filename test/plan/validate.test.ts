import { describe, expect, it } from "vitest";
import type { PlanStep } from "../../src/plan/schema.js";
import { validatePlan, type PlanIssueCode } from "../../src/plan/validate.js";
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
  ];

  it.each(cases)("refuses %s", (_name, plan, code, message, extra) => {
    const issues = validatePlan(plan, { ...ctx, ...extra });
    const hit = issues.find((i) => i.code === code);
    expect(hit, JSON.stringify(issues)).toBeDefined();
    expect(hit?.message).toMatch(message);
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
