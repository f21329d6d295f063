import { JSONParser } from "@streamparser/json";
import { decodePlan, WirePlanStepReadSchema, type PlanStep } from "./schema.js";
import { zodIssueLines } from "./zod-issues.js";

/** One element of the plan's `steps` array, parsed as soon as its closing brace arrived. */
export type StreamedStep =
  /** A well-formed step (its args may still be invalid for its tool: validation decides). */
  | { index: number; step: PlanStep; problem: null }
  /** An element that is not a step of the wire schema, or whose args are not a JSON object. */
  | { index: number; step: null; problem: string };

/**
 * Reads a plan (`{"steps": [...]}`, the wire schema) from a stream of JSON text and hands over
 * each step the moment the step's object is complete, while the rest of the plan is still being
 * written. Built on `@streamparser/json`, a streaming tokenizer that keeps strings and escapes
 * straight across chunk boundaries.
 *
 * Nothing here decides whether a step may start: a step is only *complete*. Text that stops being
 * JSON ends the reading for good ({@link PlanStepReader.problem}); so does the end of the document.
 *
 * @example
 * const reader = new PlanStepReader((s) => console.log(s.step?.id));
 * reader.write('{"steps":[{"id":"a", …}'); // logs "a" once the object closes
 */
export class PlanStepReader {
  readonly #parser: JSONParser;
  #problem: string | null = null;
  #ended = false;
  #chars = 0;

  constructor(onStep: (step: StreamedStep) => void) {
    this.#parser = new JSONParser({ paths: ["$.steps.*"], keepStack: false });
    this.#parser.onValue = ({ value, key }) => {
      if (typeof key !== "number" || this.#problem) return;
      onStep(readStep(value, key));
    };
    this.#parser.onError = (err: Error) => {
      this.#problem ??= err.message;
    };
    this.#parser.onEnd = () => {
      this.#ended = true;
    };
  }

  /** Adds text of the answer. Ignored once the text stopped being JSON or the document ended. */
  write(text: string): void {
    if (this.#problem || this.#ended || text === "") return;
    this.#chars += text.length;
    try {
      this.#parser.write(text);
    } catch (err) {
      this.#problem ??= (err as Error).message;
    }
  }

  /** Why the text stopped being a plan, or null while it still is one. */
  get problem(): string | null {
    return this.#problem;
  }

  /** The document's top-level object has closed. */
  get complete(): boolean {
    return this.#ended;
  }

  /** Characters read so far. */
  get chars(): number {
    return this.#chars;
  }
}

function readStep(value: unknown, index: number): StreamedStep {
  const wire = WirePlanStepReadSchema.safeParse(value);
  if (!wire.success) {
    const issue = wire.error.issues[0];
    return {
      index,
      step: null,
      problem: issue ? (zodIssueLines([issue], "(step)")[0] as string) : "(step): invalid",
    };
  }
  const decoded = decodePlan({ steps: [wire.data] });
  const step = decoded.steps[0] as PlanStep;
  if (decoded.errors.length > 0) return { index, step: null, problem: decoded.errors.join("; ") };
  return { index, step, problem: null };
}
