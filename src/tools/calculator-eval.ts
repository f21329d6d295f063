/**
 * The calculator's evaluation: a locked-down mathjs instance and the conversion of its results to
 * plain JSON data. It runs inside the calculator's worker thread (see calculator-worker.ts), where
 * memory and time are bounded; nothing here knows about threads.
 */
import { all, create, type FactoryFunctionMap } from "mathjs";

/** Limits on what one evaluation may return. */
export interface ResultLimits {
  /** Most numbers (elements) a matrix or array result may have. */
  maxElements: number;
  /** Most bytes the result may take as JSON. */
  maxBytes: number;
}

/** A failure the expression is to blame for; its message is shown to the planner as it is. */
export class ExpressionError extends Error {
  override name = "ExpressionError";
}

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

export function createSafeEvaluate(): Evaluate {
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

interface MathValue {
  isBigNumber?: boolean;
  isFraction?: boolean;
  isComplex?: boolean;
  isMatrix?: boolean;
  isUnit?: boolean;
  isResultSet?: boolean;
  entries?: unknown[];
  toArray?: () => unknown[];
  size?: () => number[];
  valueOf(): unknown;
  toString(): string;
}

/** Elements of a nested array, counting no further than `stopAt`. */
function countElements(value: unknown[], stopAt: number): number {
  let n = 0;
  for (const item of value) {
    n += Array.isArray(item) ? countElements(item, stopAt - n) : 1;
    if (n > stopAt) break;
  }
  return n;
}

function tooManyElements(count: number | string, limits: ResultLimits): ExpressionError {
  return new ExpressionError(
    `the result has ${count} elements, over the limit of ${limits.maxElements}; ask for a summary of it ` +
      `instead (e.g. sum, mean, max or size)`,
  );
}

/** Turns a mathjs result into plain JSON data: numbers, booleans, strings and nested arrays. */
function toPlain(value: unknown, limits: ResultLimits): unknown {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "function")
    throw new ExpressionError("the expression evaluates to a function, not a value");
  if (Array.isArray(value)) {
    const count = countElements(value, limits.maxElements);
    if (count > limits.maxElements) throw tooManyElements(`more than ${limits.maxElements}`, limits);
    return value.map((item) => toPlain(item, limits));
  }
  if (value !== null && typeof value === "object") {
    const v = value as MathValue;
    if (v.isBigNumber || v.isFraction) return Number(v.valueOf());
    if (v.isMatrix && v.toArray) {
      // Sized before it is copied out: a huge matrix is refused without building its array.
      const count = (v.size?.() ?? []).reduce((a, b) => a * b, 1);
      if (count > limits.maxElements) throw tooManyElements(count, limits);
      return toPlain(v.toArray(), limits);
    }
    if (v.isUnit || v.isComplex) return v.toString();
    // Several expressions ("a = 2; a * 3") give a ResultSet: keep the last value.
    if (v.isResultSet && v.entries) return toPlain(v.entries.at(-1), limits);
  }
  if (value === undefined || value === null) throw new ExpressionError("the expression has no value");
  return value;
}

/**
 * Removes commas that separate digit groups ("60,922 / 25,790"), where a comma can mean nothing
 * else: outside any function call's parentheses and any matrix's brackets (inside grouping
 * parentheses too). Inside a call or a matrix a comma separates arguments or elements, so
 * `max(100,200)` stays two arguments and `[1,000]` two elements.
 */
function dropThousandsSeparators(expression: string): string {
  // One entry per open bracket: true where a comma inside it separates arguments or elements.
  const separates: boolean[] = [];
  let out = "";
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i]!;
    if (ch === "(") {
      // A call's parentheses follow a name (or a closing bracket, e.g. `f(1)(2)`); grouping ones don't.
      separates.push(/[A-Za-z0-9_)\]]\s*$/.test(out) && !/(^|[^A-Za-z0-9_.])\d+(\.\d*)?\s*$/.test(out));
    } else if (ch === "[") {
      separates.push(true);
    } else if (ch === ")" || ch === "]") {
      separates.pop();
    } else if (
      ch === "," &&
      !separates.at(-1) &&
      /\d$/.test(out) &&
      /^\d{3}(?!\d)/.test(expression.slice(i + 1))
    ) {
      continue;
    }
    out += ch;
  }
  return out;
}

function hasNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  return Array.isArray(value) && value.some(hasNonFinite);
}

/**
 * Evaluates one expression to plain data, or throws an {@link ExpressionError} saying why not:
 * a syntax error, an undefined symbol, a disabled function, a non-finite or too large result.
 */
export function evaluateToPlain(evaluate: Evaluate, expression: string, limits: ResultLimits): unknown {
  const cleaned = dropThousandsSeparators(expression);
  let result: unknown;
  try {
    result = toPlain(evaluate(cleaned), limits);
  } catch (err) {
    if (err instanceof ExpressionError) throw err;
    throw new ExpressionError(
      `cannot evaluate "${expression}": ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (hasNonFinite(result)) {
    const shown = typeof result === "number" ? String(result) : "an element is Infinity or NaN";
    throw new ExpressionError(`"${expression}" has no finite value (${shown}), e.g. a division by zero`);
  }
  const bytes = Buffer.byteLength(JSON.stringify(result), "utf8");
  if (bytes > limits.maxBytes) {
    throw new ExpressionError(
      `the result takes ${bytes} bytes as JSON, over the limit of ${limits.maxBytes}; ask for a summary of it ` +
        `instead (e.g. sum, mean, max or size)`,
    );
  }
  return result;
}
