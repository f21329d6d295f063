import { fork, type ChildProcess } from "node:child_process";
import type { Socket } from "node:net";
import { z } from "zod";
import type { EvalRequest, WorkerMessage } from "./calculator-worker.js";
import { calculatorWorkerModule } from "./calculator-worker-module.js";
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

export interface CalculatorOptions {
  /** Heap limit of the process that evaluates, in MB; an expression that needs more is stopped. Default 256. */
  maxHeapMb?: number;
  /** Time limit of one evaluation (once its process is up); a longer one is stopped. Default 5000 ms. */
  timeLimitMs?: number;
  /** Most elements a matrix or array result may have. Default 10,000. */
  maxResultElements?: number;
  /** Most bytes a result may take as JSON. Default 64 KiB. */
  maxResultBytes?: number;
  /** Evaluations that may run at once, each in a process of its own; more wait their turn. Default 2. */
  maxProcesses?: number;
}

/**
 * Extra time the step gets on top of the evaluation limit: a process that is not warm yet loads
 * mathjs first (about 0.4 s bundled, several seconds on a busy machine, more through tsx from source).
 */
const STARTUP_ALLOWANCE_MS = 10_000;
/** Warm processes kept between calls. */
const MAX_IDLE = 1;
/** The end of the worker's stderr kept for the message when it dies. */
const STDERR_TAIL = 4_096;

/**
 * Starts a worker process. A child process, not a worker thread: a thread's `resourceLimits`
 * do not contain every out-of-memory — an array that grows past the limit in one allocation
 * (`1:1e9`, `sum(1:1e8)`) aborts the whole process with a fatal V8 error, workers and all —
 * whereas a child process only takes itself down. It gets no environment (no API keys).
 */
function startWorker(maxHeapMb: number): ChildProcess {
  const worker = calculatorWorkerModule();
  return fork(worker.file, [], {
    execArgv: [`--max-old-space-size=${maxHeapMb}`, "--max-semi-space-size=16", ...worker.execArgv],
    env: {},
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "json",
  });
}

type Outcome =
  | { kind: "result"; value: unknown }
  | { kind: "error"; message: string; expression: boolean }
  | { kind: "timeout" }
  | { kind: "aborted" }
  | { kind: "died"; reason: string; outOfMemory: boolean };

type Event = WorkerMessage | { type: "died"; reason: string; outOfMemory: boolean };

/** One worker process; it evaluates one expression at a time. */
class EvalProcess {
  readonly #child: ChildProcess;
  #ready = false;
  #died: Extract<Event, { type: "died" }> | undefined;
  #listener: ((event: Event) => void) | undefined;
  #nextId = 0;
  #stderr = "";

  constructor(child: ChildProcess) {
    this.#child = child;
    child.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") this.#ready = true;
      this.#listener?.(message);
    });
    // Read, never waited for: the stream alone must not keep the parent alive.
    const stderr = child.stderr as Socket | null;
    stderr?.unref();
    stderr?.setEncoding("utf8");
    stderr?.on("data", (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL);
    });
    child.on("error", (err) => this.#die(err.message, false));
    child.on("exit", (code, signal) => {
      // V8 aborts (SIGABRT) at the heap limit and on an allocation too large to make at all.
      const outOfMemory =
        signal === "SIGABRT" || /out of memory|invalid (?:array length|size|table size)/i.test(this.#stderr);
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = this.#stderr.trim().split("\n").slice(-3).join(" | ");
      this.#die(`the calculator process ${how}${tail ? `: ${tail}` : ""}`, outOfMemory);
    });
  }

  #die(reason: string, outOfMemory: boolean): void {
    if (this.#died) return;
    this.#died = { type: "died", reason, outOfMemory };
    this.#listener?.(this.#died);
  }

  get alive(): boolean {
    return this.#died === undefined;
  }

  /** Waits until the process is up, then evaluates with a time limit; settles with what happened. */
  run(expression: string, limits: EvalRequest["limits"], timeLimitMs: number, signal: AbortSignal) {
    return new Promise<Outcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let id = -1;
      const done = (outcome: Outcome) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#listener = undefined;
        resolve(outcome);
      };
      const onAbort = () => done({ kind: "aborted" });
      const start = () => {
        id = this.#nextId++;
        timer = setTimeout(() => done({ kind: "timeout" }), timeLimitMs);
        this.#child.send({ id, expression, limits } satisfies EvalRequest);
      };
      if (signal.aborted) return done({ kind: "aborted" });
      if (this.#died) return done({ kind: "died", reason: this.#died.reason, outOfMemory: false });
      signal.addEventListener("abort", onAbort, { once: true });
      this.#listener = (event) => {
        if (event.type === "died")
          done({ kind: "died", reason: event.reason, outOfMemory: event.outOfMemory });
        else if (event.type === "ready") start();
        else if (event.id !== id) return;
        else if (event.type === "result") done({ kind: "result", value: event.value });
        else done({ kind: "error", message: event.message, expression: event.expression });
      };
      if (this.#ready) start();
    });
  }

  /** A busy process keeps the parent alive; an idle one must not. */
  ref(): void {
    this.#child.ref();
    this.#child.channel?.ref();
  }

  unref(): void {
    this.#child.unref();
    this.#child.channel?.unref();
  }

  kill(): void {
    this.#die("the calculator process was stopped", false);
    this.#child.kill("SIGKILL");
  }
}

/** Worker processes that evaluate expressions: at most `maxProcesses` at once, one kept warm between calls. */
class EvalPool {
  readonly #idle: EvalProcess[] = [];
  readonly #waiting: (() => void)[] = [];
  #busy = 0;

  constructor(private readonly limits: Required<CalculatorOptions>) {}

  async evaluate(expression: string, signal: AbortSignal): Promise<unknown> {
    await this.#slot(signal);
    let worker: EvalProcess | undefined;
    let reusable = false;
    try {
      worker = this.#takeIdle() ?? new EvalProcess(startWorker(this.limits.maxHeapMb));
      worker.ref();
      const { maxResultElements, maxResultBytes, timeLimitMs, maxHeapMb } = this.limits;
      const outcome = await worker.run(
        expression,
        { maxElements: maxResultElements, maxBytes: maxResultBytes },
        timeLimitMs,
        signal,
      );
      const shown = JSON.stringify(expression);
      const smaller =
        "compute something smaller, or a closed form (e.g. n * (n + 1) / 2 instead of sum(1:n))";
      switch (outcome.kind) {
        case "result":
          reusable = true;
          return outcome.value;
        case "error":
          reusable = true;
          if (outcome.expression) throw new ToolInputError(outcome.message);
          throw new Error(`the calculator failed on ${shown}: ${outcome.message}`);
        case "timeout":
          throw new ToolInputError(`${shown} was stopped after ${timeLimitMs} ms; ${smaller}`);
        case "aborted":
          throw signal.reason ?? new Error("aborted");
        case "died":
          if (outcome.outOfMemory) {
            throw new ToolInputError(`${shown} needed more than ${maxHeapMb} MB and was stopped; ${smaller}`);
          }
          throw new Error(`the calculator stopped on ${shown}: ${outcome.reason}`);
      }
    } finally {
      this.#release(worker, reusable);
    }
  }

  /** Waits for a free slot (abortable). */
  async #slot(signal: AbortSignal): Promise<void> {
    while (this.#busy >= this.limits.maxProcesses) {
      signal.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          const at = this.#waiting.indexOf(wake);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(signal.reason as Error);
        };
        const wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
        this.#waiting.push(wake);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
    signal.throwIfAborted();
    this.#busy++;
  }

  #takeIdle(): EvalProcess | undefined {
    for (let worker = this.#idle.pop(); worker; worker = this.#idle.pop()) {
      if (worker.alive) return worker;
    }
    return undefined;
  }

  #release(worker: EvalProcess | undefined, reusable: boolean): void {
    this.#busy--;
    if (worker) {
      if (reusable && worker.alive && this.#idle.length < MAX_IDLE) {
        worker.unref();
        this.#idle.push(worker);
      } else {
        worker.kill();
      }
    }
    this.#waiting.shift()?.();
  }
}

/**
 * A calculator tool: evaluates a math expression with a locked-down mathjs instance (never with
 * JavaScript's eval) in a worker process. A plan is model output, so an expression may ask for
 * anything (`1:1e9`, `zeros(1e5, 1e5)`); the worker's heap is capped and it is killed at the time
 * limit or when the step is aborted, so such an expression fails its step (a non-transient
 * {@link ToolInputError}: retrying would not help) instead of taking the process down or holding
 * a core. Results over the size limits are refused.
 */
export function createCalculatorTool(options: CalculatorOptions = {}): PlanTool<CalculatorArgs> {
  const limits: Required<CalculatorOptions> = {
    maxHeapMb: options.maxHeapMb ?? 256,
    timeLimitMs: options.timeLimitMs ?? 5_000,
    maxResultElements: options.maxResultElements ?? 10_000,
    maxResultBytes: options.maxResultBytes ?? 65_536,
    maxProcesses: options.maxProcesses ?? 2,
  };
  let pool: EvalPool | undefined;
  return {
    name: "calculator",
    description:
      "Evaluate a math expression with mathjs (operators + - * / ^ %, parentheses, functions such as sqrt, abs, " +
      "round(x, n), min, max, log, and unit conversions like '5 km to mile'). Returns a number (a string for units, " +
      `an array for matrices, at most ${limits.maxResultElements} elements). Use it for every calculation; pass ` +
      `numbers, not names. An evaluation is stopped after ${limits.timeLimitMs} ms or ${limits.maxHeapMb} MB.`,
    schema: CalculatorArgs,
    risk: "LOW",
    pinned: true,
    // The evaluation's own limit fires first, with a clearer message; the rest covers a cold start.
    timeoutMs: limits.timeLimitMs + STARTUP_ALLOWANCE_MS,
    async run({ expression }, ctx) {
      pool ??= new EvalPool(limits);
      return pool.evaluate(expression, ctx.signal);
    },
  };
}

/** The calculator with default limits. Its worker process starts on first use. */
export const calculatorTool: PlanTool<CalculatorArgs> = createCalculatorTool();
