import { describe, expect, it } from "vitest";
import {
  getById,
  idRecord,
  MAX_STEP_ID_LENGTH,
  RESERVED_STEP_IDS,
  STEP_ID_PATTERN,
  stepIdProblem,
} from "../../src/plan/ids.js";
import { findReferences, resolveReferences } from "../../src/plan/template.js";

const longest = `s${"x".repeat(MAX_STEP_ID_LENGTH - 1)}`;

describe("the step-id grammar", () => {
  it("is ^[A-Za-z][A-Za-z0-9_-]{0,63}$", () => {
    expect(STEP_ID_PATTERN.source).toBe("^[A-Za-z][A-Za-z0-9_-]{0,63}$");
  });

  it.each(["step_1", "a", "S", "s-x", "fetch_AMD-2024", longest])("accepts %j", (id) => {
    expect(stepIdProblem(id)).toBeUndefined();
  });

  it.each([
    ["__proto__", "__proto__"],
    ["empty", ""],
    ["a leading digit", "1st"],
    ["a leading underscore", "_step"],
    ["a space", "step 1"],
    ["a dot", "step.1"],
    ["a brace", "step}}"],
    ["non-ASCII letters", "schritt_ä"],
    ["a newline", "step_1\n"],
    ["65 characters", `${longest}x`],
  ])("refuses %s", (_name, id) => {
    expect(stepIdProblem(id)).toBe(
      `step id ${JSON.stringify(id)} is not allowed: ids start with a letter and use letters, digits, _ and - (at most 64)` +
        (id.length > 64 ? `; it has ${id.length} characters` : ""),
    );
  });

  it.each(["constructor", "prototype", "hasOwnProperty", "toString", "valueOf", "isPrototypeOf"])(
    "refuses the reserved name %s, which the grammar alone would allow",
    (id) => {
      expect(STEP_ID_PATTERN.test(id)).toBe(true);
      expect(stepIdProblem(id)).toBe(
        `step id "${id}" is not allowed: it is a reserved name; choose another id such as step_1`,
      );
    },
  );

  it("reserves every property a plain object inherits", () => {
    for (const name of Object.getOwnPropertyNames(Object.prototype)) {
      expect(RESERVED_STEP_IDS.has(name), name).toBe(true);
    }
  });

  it("quotes and cuts a runaway id instead of repeating it", () => {
    const problem = stepIdProblem("x ".repeat(500_000)) ?? "";
    expect(problem.length).toBeLessThan(300);
    expect(problem).toContain("it has 1000000 characters");
  });

  it("lets the template syntax address every valid id, the longest included, and only those", () => {
    for (const id of ["step_1", "s-x", "A", longest]) {
      expect(findReferences(`{{${id}.output.a}}`).map((r) => r.stepId)).toEqual([id]);
      expect(resolveReferences(`{{${id}.output}}`, new Map([[id, 7]]))).toBe(7);
    }
    for (const id of ["1st", "_step", "step.1", "schritt_ä", `${longest}x`]) {
      expect(findReferences(`{{${id}.output}}`)).toEqual([]);
    }
  });
});

describe("maps keyed by step id", () => {
  it("idRecord has no prototype: __proto__ is an ordinary own key", () => {
    const record = idRecord([
      ["__proto__", 1],
      ["constructor", 2],
    ]);
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.keys(record)).toEqual(["__proto__", "constructor"]);
    expect(JSON.parse(JSON.stringify(record))).toEqual({ constructor: 2, ["__proto__"]: 1 });
  });

  it("getById never answers an inherited property", () => {
    expect(getById({}, "constructor")).toBeUndefined();
    expect(getById({}, "__proto__")).toBeUndefined();
    expect(getById({ toString: 3 }, "toString")).toBe(3);
    expect(getById(new Map([["a", 1]]), "a")).toBe(1);
  });
});
