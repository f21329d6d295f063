import { all, create, type FactoryFunctionMap } from "mathjs";
import { z } from "zod";
import { ToolInputError, type PlanTool } from "./types.js";

const CalculatorArgs = z
  .object({
    expression: z
      .string()
      .min(1)
      .max(2000)
      .describe(
        "One math expression in mathjs syntax, e.g. '60.92 / 25.79', 'round(150000 * 0.153, 2)', 'sqrt(2)', " +
          "'5 cm + 2 inch'. Plain numbers only; no variables other than built-in constants (pi, e).",
      ),
  })
  .strict();

type CalculatorArgs = z.output<typeof CalculatorArgs>;

/**
 * Functions that parse, compile or import code, or change the instance. They are replaced in the
 * expression namespace by functions that throw, as mathjs's security guide recommends; the
 * reference to `evaluate` taken before the override keeps working.
 */
const DISABLED = [
  "import",
  "createUnit",
  "evaluate",
  "parse",
  "parser",
  "compile",
  "simplify",
  "simplifyConstant",
  "simplifyCore",
  "derivative",
  "rationalize",
  "resolve",
  "symbolicEqual",
  "leafCount",
  "reviver",
  // Would change the shared instance's settings (number type, precision) for later calls.
  "config",
] as const;

type Evaluate = (expression: string) => unknown;

function createSafeEvaluate(): Evaluate {
  // `all` is typed as possibly undefined, but the full build always exports it.
  const math = create(all as FactoryFunctionMap);
  const evaluate = math.evaluate.bind(math) as Evaluate;
  const refuse = (name: string) => () => {
    throw new Error(`Function ${name} is disabled`);
  };
  const stubs: Record<string, () => never> = Object.fromEntries(DISABLED.map((name) => [name, refuse(name)]));
  // mathjs creates functions lazily and hands each one `math.config` to read its settings
  // (relTol, number type, ...) from, via getters on that function. The stub gets a snapshot of
  // them (safe: nothing can change them once config is disabled), or functions first used
  // after this point would run with undefined settings (compare(1, 1 + 1e-10) would answer 0).
  stubs.config = Object.assign(refuse("config"), math.config);
  math.import(stubs, { override: true });
  return evaluate;
}

let safeEvaluate: Evaluate | undefined;

interface MathValue {
  isBigNumber?: boolean;
  isFraction?: boolean;
  isComplex?: boolean;
  isMatrix?: boolean;
  isUnit?: boolean;
  isResultSet?: boolean;
  entries?: unknown[];
  toArray?: () => unknown[];
  valueOf(): unknown;
  toString(): string;
}

/** Turns a mathjs result into plain JSON data: numbers, booleans, strings and nested arrays. */
function toPlain(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "function")
    throw new ToolInputError("the expression evaluates to a function, not a value");
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === "object") {
    const v = value as MathValue;
    if (v.isBigNumber || v.isFraction) return Number(v.valueOf());
    if (v.isMatrix && v.toArray) return toPlain(v.toArray());
    if (v.isUnit || v.isComplex) return v.toString();
    // Several expressions ("a = 2; a * 3") give a ResultSet: keep the last value.
    if (v.isResultSet && v.entries) return toPlain(v.entries.at(-1));
  }
  if (value === undefined || value === null) throw new ToolInputError("the expression has no value");
  return value;
}

function hasNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  return Array.isArray(value) && value.some(hasNonFinite);
}

/** Evaluates a math expression with a locked-down mathjs instance; never with JavaScript's eval. */
export const calculatorTool: PlanTool<CalculatorArgs> = {
  name: "calculator",
  description:
    "Evaluate a math expression with mathjs (operators + - * / ^ %, parentheses, functions such as sqrt, abs, " +
    "round(x, n), min, max, log, and unit conversions like '5 km to mile'). Returns a number (a string for units, " +
    "an array for matrices). Use it for every calculation; pass numbers, not names.",
  schema: CalculatorArgs,
  risk: "LOW",
  timeoutMs: 5_000,
  async run({ expression }) {
    safeEvaluate ??= createSafeEvaluate();
    // "60,922" is a thousands separator here, not an argument separator.
    const cleaned = expression.replace(/(?<=\d),(?=\d{3}(?!\d))/g, "");
    let result: unknown;
    try {
      result = toPlain(safeEvaluate(cleaned));
    } catch (err) {
      if (err instanceof ToolInputError) throw err;
      throw new ToolInputError(
        `cannot evaluate "${expression}": ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (hasNonFinite(result)) {
      const shown = typeof result === "number" ? String(result) : "an element is Infinity or NaN";
      throw new ToolInputError(`"${expression}" has no finite value (${shown}), e.g. a division by zero`);
    }
    return result;
  },
};
