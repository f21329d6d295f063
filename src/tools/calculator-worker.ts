/**
 * The calculator's worker process (started by calculator.ts with `child_process.fork`): builds the
 * locked-down mathjs instance once, says "ready", then answers one evaluation request at a time
 * over the IPC channel. The parent caps its heap (`--max-old-space-size`) and kills it when an
 * evaluation runs too long; nothing here has to cooperate for that.
 */
import {
  createSafeEvaluate,
  evaluateToPlain,
  ExpressionError,
  type ResultLimits,
} from "./calculator-eval.js";

export interface EvalRequest {
  id: number;
  expression: string;
  limits: ResultLimits;
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "result"; id: number; value: unknown }
  | { type: "error"; id: number; message: string; expression: boolean };

function send(message: WorkerMessage): void {
  process.send?.(message);
}

if (!process.send) throw new Error("calculator-worker runs as a child process with an IPC channel only");

const evaluate = createSafeEvaluate();
// The first evaluation compiles the parser's hot paths; do it now, not on the caller's clock.
evaluate("round(sqrt(2) * 3 / 4, 2)");

process.on("message", ({ id, expression, limits }: EvalRequest) => {
  try {
    send({ type: "result", id, value: evaluateToPlain(evaluate, expression, limits) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    send({ type: "error", id, message, expression: err instanceof ExpressionError });
  }
});
// The parent is gone (it exited, or was killed): so is the reason to live.
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
