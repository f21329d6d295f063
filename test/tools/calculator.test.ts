import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { calculatorTool, createCalculatorTool } from "../../src/tools/calculator.js";
import { ToolInputError, type ToolContext } from "../../src/tools/types.js";
import { fixture } from "../helpers/fixtures.js";

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
    await expect(calc("(60,922 + 78) / 1,000")).resolves.toBe(61);
  });

  it("reads commas inside a call or a matrix as separators of arguments and elements", async () => {
    await expect(calc("max(100,200)")).resolves.toBe(200);
    await expect(calc("min(100,200, 300)")).resolves.toBe(100);
    await expect(calc("round(60.922,2)")).resolves.toBe(60.92);
    await expect(calc("sum([1,000, 2,000])")).resolves.toBe(3);
    await expect(calc("2 * max(1,234, (5,000))")).resolves.toBe(10_000);
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

/** Rejects with what `promise` rejected with, or fails the test if it resolved. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (err: unknown) => err as Error,
  );
}

/** Samples this process's RSS until stopped; answers the peak. */
function watchRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/*
 * A planned expression can ask for gigabytes or minutes. Before the calculator ran in a worker
 * process, `1:1e9` killed the test process with a V8 heap OOM (2.2 GB), `sum(1:1e8)` took GBs
 * and `sum(1:9e7)` ran 6.75 s past the step's 5 s timeout and "succeeded". Each one must now
 * fail its step with a clear, non-transient error, without this process growing.
 */
describe("calculator: runaway expressions", () => {
  // The time limit is 5 s once the worker is up; a worker killed by the previous case starts
  // again first (~0.4 s of CPU, seconds on a loaded machine).
  const BOUND_MS = 25_000;
  const MAX_RSS_GROWTH = 200 * 1024 * 1024;

  it.each([
    "1:1e9",
    "zeros(1e5, 1e5)",
    "random([1e4, 1e4])",
    "reshape(1:4e7, [2e7, 2])",
    "sum(1:1e8)",
    "sum(1:9e7)",
  ])(
    "stops %s with a clear error within 25 s, this process growing less than 200 MB",
    { timeout: 60_000 },
    async (expression) => {
      const before = process.memoryUsage().rss;
      const rss = watchRss();
      const started = Date.now();
      const err = await failure(calc(expression));
      const elapsed = Date.now() - started;
      const growth = rss.stop() - before;
      expect(err).toBeInstanceOf(ToolInputError);
      expect(err.message).toMatch(/needed more than 256 MB and was stopped|was stopped after 5000 ms/);
      expect(err.message).toContain(JSON.stringify(expression));
      expect(elapsed).toBeLessThan(BOUND_MS);
      expect(growth).toBeLessThan(MAX_RSS_GROWTH);
      // The next call gets a fresh worker.
      await expect(calc("2 * 21")).resolves.toBe(42);
    },
  );

  it("stops a long computation at its own time limit", { timeout: 60_000 }, async () => {
    const tool = createCalculatorTool({ timeLimitMs: 1_000 });
    await expect(tool.run({ expression: "1 + 1" }, ctx)).resolves.toBe(2); // warm
    const started = Date.now();
    const err = await failure(tool.run({ expression: "det(random([400, 400]))" }, ctx));
    const elapsed = Date.now() - started;
    expect(err).toBeInstanceOf(ToolInputError);
    expect(err.message).toMatch(/"det\(random\(\[400, 400\]\)\)" was stopped after 1000 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(3_000);
    await expect(tool.run({ expression: "3 * 3" }, ctx)).resolves.toBe(9);
  });

  it(
    "stops an evaluation when the step's signal aborts, with the signal's reason",
    { timeout: 60_000 },
    async () => {
      await expect(calc("1 + 1")).resolves.toBe(2); // warm
      const controller = new AbortController();
      const reason = new Error("step cancelled");
      setTimeout(() => controller.abort(reason), 300);
      const started = Date.now();
      const err = await failure(
        calculatorTool.run({ expression: "det(random([400, 400]))" }, { ...ctx, signal: controller.signal }),
      );
      expect(err).toBe(reason);
      expect(Date.now() - started).toBeLessThan(1_500);
      await expect(calc("4 * 4")).resolves.toBe(16);
    },
  );

  it("does not make a quick evaluation wait behind a runaway one", { timeout: 60_000 }, async () => {
    const tool = createCalculatorTool({ timeLimitMs: 30_000 });
    const controller = new AbortController();
    let runawayDone = false;
    const runaway = failure(
      tool.run({ expression: "det(random([600, 600]))" }, { ...ctx, signal: controller.signal }),
    ).finally(() => (runawayDone = true));
    // The second evaluation gets a worker of its own (a cold start) instead of queueing.
    await expect(tool.run({ expression: "6 * 7" }, ctx)).resolves.toBe(42);
    expect(runawayDone).toBe(false);
    controller.abort(new Error("done waiting"));
    expect((await runaway).message).toBe("done waiting");
  });

  it("gives the step time for a cold start on top of the evaluation limit", () => {
    expect(calculatorTool.timeoutMs).toBeGreaterThan(5_000);
    expect(calculatorTool.description).toMatch(/stopped after 5000 ms or 256 MB/);
  });
});

describe("calculator: result size", () => {
  it("returns a matrix up to 10,000 elements", async () => {
    const result = (await calc("ones(50, 50)")) as number[][];
    expect(result).toHaveLength(50);
    expect(result.flat()).toHaveLength(2_500);
  });

  it.each([
    ["1:20000", /the result has 20000 elements, over the limit of 10000/],
    ["zeros(200, 200)", /the result has 40000 elements, over the limit of 10000/],
    // 9,000 numbers of ~19 characters each: under the element cap, over 64 KiB of JSON.
    ["random([9000])", /the result takes \d+ bytes as JSON, over the limit of 65536/],
  ])("refuses %s", async (expression, message) => {
    const err = await failure(calc(expression));
    expect(err).toBeInstanceOf(ToolInputError);
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/ask for a summary/);
  });
});

describe("calculator: worker process", () => {
  it("does not keep the process alive once idle", { timeout: 60_000 }, async () => {
    const child = fixture("calc-child");
    const proc = spawn(process.execPath, [child, "6 * 7"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let errOut = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (errOut += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        resolve(null);
      }, 45_000);
      proc.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(errOut).toBe("");
    expect(code).toBe(0);
    expect(out.trim()).toBe("42");
  });
});
