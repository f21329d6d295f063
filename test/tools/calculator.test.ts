import { describe, expect, it } from "vitest";
import { calculatorTool } from "../../src/tools/calculator.js";
import { ToolInputError, type ToolContext } from "../../src/tools/types.js";

const ctx: ToolContext = {
  signal: new AbortController().signal,
  idempotencyKey: "t:s",
  step: { id: "s", description: "", tool: "x", args: {}, depends_on: [], expected_output: "" },
  dependencies: [],
  model: {} as never,
  goal: "",
  reportUsage: () => {},
};

const calc = (expression: string) => calculatorTool.run({ expression }, ctx);

describe("calculatorTool", () => {
  it("declares itself as a low-risk tool named calculator", () => {
    expect(calculatorTool.name).toBe("calculator");
    expect(calculatorTool.risk).toBe("LOW");
    expect(calculatorTool.description).toMatch(/mathjs/);
  });

  it.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["2 ^ 3 ^ 2", 512],
    ["-4 + 10 / 4", -1.5],
    ["150000 - 25538.5 - 11475 - 10492", 102494.5],
    ["sqrt(16)", 4],
    ["round(2 / 3, 2)", 0.67],
    ["round(60.92 / 25.79, 3)", 2.362],
    ["max(3, 9, 4)", 9],
    ["0.1 + 0.2", 0.1 + 0.2],
  ])("evaluates %s", async (expression, expected) => {
    await expect(calc(expression)).resolves.toBe(expected);
  });

  it("reads commas between digit groups as thousands separators", async () => {
    await expect(calc("60,922 / 25,790")).resolves.toBe(60922 / 25790);
    await expect(calc("1,234,567 + 1")).resolves.toBe(1234568);
    await expect(calc("max(1,2)")).resolves.toBe(2);
  });

  it("does not round", async () => {
    await expect(calc("60.92 / 25.79")).resolves.toBe(60.92 / 25.79);
  });

  it("returns plain numbers for BigNumber and Fraction results", async () => {
    await expect(calc("bignumber(0.1) + bignumber(0.2)")).resolves.toBe(0.3);
    await expect(calc("fraction(1, 4) + fraction(1, 4)")).resolves.toBe(0.5);
  });

  it("returns a unit as a string", async () => {
    const result = await calc("5 cm + 2 inch");
    expect(typeof result).toBe("string");
    expect(result).toBe("10.08 cm");
  });

  it("returns a matrix as a nested array and keeps booleans", async () => {
    await expect(calc("[[1, 2], [3, 4]] * 2")).resolves.toEqual([
      [2, 4],
      [6, 8],
    ]);
    await expect(calc("3 > 2")).resolves.toBe(true);
  });

  it("keeps no variables between calls", async () => {
    await expect(calc("a = 2; a * 3")).resolves.toBe(6);
    await expect(calc("a")).rejects.toThrow(/Undefined symbol a/);
  });

  it("reports an undefined symbol as an input error naming it", async () => {
    const err = await calc("979882 / austin_land_area_sq_mi").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolInputError);
    expect((err as Error).message).toContain("Undefined symbol austin_land_area_sq_mi");
  });

  it("reports a syntax error as an input error", async () => {
    await expect(calc("2 +* 3")).rejects.toBeInstanceOf(ToolInputError);
  });

  it.each(["1/0", "-1/0", "0/0", "1e400", "[1, 1/0]"])(
    "refuses the non-finite result of %s",
    async (expression) => {
      const err = await calc(expression).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ToolInputError);
      expect((err as Error).message).toMatch(/finite/);
    },
  );

  it.each([
    "import({}, {})",
    'createUnit("foo")',
    'evaluate("1+1")',
    'parse("1")',
    'compile("1")',
    'simplify("x + x")',
    'derivative("x^2", "x")',
    "parser()",
    '[].constructor.constructor("return process")()',
    'cos.constructor("return process")()',
    '"".constructor',
    "process",
    "process.exit(1)",
    "f(x) = x",
  ])("refuses %s", async (expression) => {
    await expect(calc(expression)).rejects.toBeInstanceOf(ToolInputError);
  });

  it("refuses config() so no call can change the settings of later calls", async () => {
    await expect(calc('config({number: "BigNumber"})')).rejects.toBeInstanceOf(ToolInputError);
    await expect(calc("0.1 + 0.2")).resolves.toBe(0.1 + 0.2);
  });

  it("keeps mathjs's default tolerances in functions first used after the lock-down", async () => {
    // compare/smaller read config.relTol (1e-12); a stubbed-out config would make them use 1e-9.
    await expect(calc("compare(1, 1 + 1e-10)")).resolves.toBe(-1);
    await expect(calc("smaller(1, 1 + 1e-10)")).resolves.toBe(true);
    await expect(calc("1 == 1 + 1e-10")).resolves.toBe(false);
  });

  it("still evaluates after refusing an injection attempt", async () => {
    await calc("import({}, {})").catch(() => undefined);
    await expect(calc("1 + 1")).resolves.toBe(2);
  });

  it("validates its args with the schema", () => {
    expect(calculatorTool.schema.safeParse({ expression: "1 + 1" }).success).toBe(true);
    expect(calculatorTool.schema.safeParse({ expression: "1+".repeat(1000) + "1" }).success).toBe(false);
    expect(calculatorTool.schema.safeParse({ expression: "" }).success).toBe(false);
    expect(calculatorTool.schema.safeParse({ expression: "1", extra: true }).success).toBe(false);
  });
});
