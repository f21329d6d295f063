import { setMaxListeners } from "node:events";

/**
 * Every running step listens to the run's abort signal, about twice (its task, its attempt's
 * timeout), and LangGraph adds its own: many listeners are expected while `steps` steps may run at
 * once. Raises the signal's limit to fit them; the limit still catches a leak that grows past it.
 * Called by everything that runs steps in parallel (the executor, the streaming planner's early
 * steps, the evaluator's revisions).
 */
export function allowStepListeners(signal: AbortSignal | undefined, steps: number): void {
  if (signal) setMaxListeners(steps * 4 + 32, signal);
}
