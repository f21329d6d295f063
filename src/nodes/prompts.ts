import { HumanMessage, SystemMessage, type BaseMessage } from "@langchain/core/messages";
import { encodePlan, PLAN_LIMITS_RULE, type PlanStep } from "../plan/schema.js";
import { errorText, failureLine, fenced, oneLine, stepBlocks } from "../tools/prompt-text.js";

/**
 * How steps, tools and references work: shared by the planner and the replanner. The plan schema's
 * field descriptions are kept short, so the id grammar, the size limits and the reference syntax
 * are said here, once per prompt, rather than per field in the response format.
 */
export const PLAN_RULES = `Rules:
- A step calls one listed tool; "args" is a JSON object in a string that fits its signature.
- "depends_on": every step whose output the step needs, and no other (independent steps run in parallel).
- {{step_id.output}} inserts a dependency's output, {{step_id.output.a.b}} a field of it (array items: .results.0); a string that is only a reference keeps the value's type (a number stays a number). Reference only steps reached through depends_on.
- Arithmetic goes to calculator, not to a model.
- "reflect": true for a quality-critical step that writes with a model (summary, report, extraction): a critic reviews it and it revises; else false.
- Pass large data by reference, never copied into "args".
${PLAN_LIMITS_RULE}`;

export interface PlannerPromptInput {
  goal: string;
  tools: string;
  maxSteps: number;
  /** A refused earlier proposal and why, when this is a repair attempt. */
  repair?: { steps: PlanStep[]; issues: string[] };
}

export function buildPlannerPrompt(input: PlannerPromptInput): BaseMessage[] {
  const system = `You are the planner of a plan-and-execute agent. Break the goal into the smallest set of tool steps that achieves it (at most ${input.maxSteps} steps).

Tools:
${input.tools}

${PLAN_RULES}`;
  const parts = [`Goal: ${input.goal}`];
  if (input.repair) {
    parts.push(
      `Your previous plan was refused:\n${JSON.stringify(encodePlan(input.repair.steps), null, 2)}`,
      `Problems to fix:\n${input.repair.issues.map((i, n) => `${n + 1}. ${i}`).join("\n")}`,
      "Write a corrected plan.",
    );
  }
  return [new SystemMessage(system), new HumanMessage(parts.join("\n\n"))];
}

export interface ReplannerPromptInput {
  goal: string;
  tools: string;
  maxSteps: number;
  finished: { id: string; description: string; output: string; tool?: string }[];
  failed: { id: string; tool: string; description: string; error: string }[];
  unfinished: PlanStep[];
  repair?: { steps: PlanStep[]; issues: string[] };
  /** The answer a review sent back, and its findings (when the replanner is asked by the answer review). */
  review?: { answer: string; findings: string[] };
  /** Why the evaluator judged that the remaining steps no longer fit (replan: on_signal). */
  signal?: { reason: string; after: string[] };
}

export function buildReplannerPrompt(input: ReplannerPromptInput): BaseMessage[] {
  const system = `You are the replanner of a plan-and-execute agent. Some steps failed, or the answer did not pass review. Write ONLY the remaining steps needed to reach the goal (at most ${input.maxSteps}). Finished steps stay done: never repeat them and never reuse their ids or the ids of failed steps; depend on and reference finished steps by id where useful. Work around the failure (a different tool, different args, or an extra step that supplies what was missing). If the goal cannot be reached, return an empty list of steps.

Tools:
${input.tools}

${PLAN_RULES}`;
  // Blocks as every prompt shows step results (`[id] description`, then the output), so an output
  // cannot open a block of its own (see `stepOutputText`).
  const finished = stepBlocks(input.finished.map((f) => ({ ...f, text: f.output }))) || "(none)";
  const failed =
    input.failed
      // The error fenced and the description on one line, as `failureLine` does (see there).
      .map((f) => `- ${f.id} [${f.tool}] ${oneLine(f.description)}\n  error: ${errorText(f.error)}`)
      .join("\n") || "(none)";
  const parts = [
    `Goal: ${input.goal}`,
    `Finished steps and their outputs:\n${finished}`,
    `Failed steps:\n${failed}`,
    `Steps that had not run yet (rewrite or drop them):\n${
      input.unfinished.length ? JSON.stringify(encodePlan(input.unfinished).steps, null, 2) : "(none)"
    }`,
  ];
  if (input.review) {
    parts.push(
      // Fenced: the answer was written from step outputs; a line of it must not pass for the findings.
      `The answer written from these results did not pass review:\n${fenced(input.review.answer)}`,
      `Findings:\n${findingLines(input.review.findings)}`,
      "Add only steps that would supply what the findings show is missing or unsupported (new ids). If the " +
        "finished results already suffice, return an empty list of steps: the answer is then rewritten with the findings.",
    );
  }
  if (input.signal) {
    parts.push(
      `Nothing failed, but after ${input.signal.after.join(", ")} finished the remaining steps were judged not to ` +
        // The evaluator's words, written after reading outputs: kept on their line (see `findingLines`).
        `fit what was learned: ${oneLine(input.signal.reason)}`,
      "Rewrite the steps that had not run yet so that they fit (new ids). Return an empty list of steps to keep " +
        "them as they are.",
    );
  }
  if (input.repair) {
    parts.push(
      `Your previous recovery plan was refused:\n${JSON.stringify(encodePlan(input.repair.steps), null, 2)}`,
      `Problems to fix:\n${input.repair.issues.map((i, n) => `${n + 1}. ${i}`).join("\n")}`,
    );
  }
  return [new SystemMessage(system), new HumanMessage(parts.join("\n\n"))];
}

/**
 * A review's findings as a numbered list, one line each: the reviewer is a model that read the
 * step outputs, and a finding with line breaks could add a list item or open a section of its own
 * (`Problems to fix:` in the replanner's prompt, where a refused plan's problems are listed).
 */
function findingLines(findings: readonly string[]): string {
  return findings.map((f, n) => `${n + 1}. ${oneLine(f)}`).join("\n");
}

export interface CriticPromptInput {
  goal: string;
  step: PlanStep;
  output: string;
}

export function buildCriticPrompt(input: CriticPromptInput): BaseMessage[] {
  return [
    new SystemMessage(
      "You check one step of a plan-and-execute agent. Decide whether the step's output satisfies its expected output. Be strict about facts and numbers, lenient about wording.",
    ),
    new HumanMessage(
      `Goal: ${input.goal}\nStep ${input.step.id}: ${oneLine(input.step.description)}\nExpected output: ${oneLine(input.step.expected_output)}\nActual output: ${input.output}`,
    ),
  ];
}

export interface SynthesizerPromptInput {
  goal: string;
  results: { id: string; description: string; output: string; tool?: string }[];
  failures: { id: string; description: string; error: string }[];
  partial: boolean;
  /** Other plans a plan search tried without success (one line each), for a partial answer to name. */
  tried?: string[];
  /** The previous answer and what its review found, when this answer is a revision of it. */
  review?: { answer: string; findings: string[] };
}

export function buildSynthesizerPrompt(input: SynthesizerPromptInput): BaseMessage[] {
  const results = stepBlocks(input.results.map((r) => ({ ...r, text: r.output }))) || "(none)";
  const system = `You write the final answer of a plan-and-execute agent from the results of its steps. Use only those results. Cite the step each fact comes from in square brackets, e.g. [step_2].${
    input.partial
      ? " The run did NOT complete: say plainly that the answer is partial, name the steps that failed and why (by id, without square brackets: brackets cite results), and answer only what the results support."
      : ""
  }`;
  const failures = input.failures.length
    ? `\n\nFailed steps:\n${input.failures.map(failureLine).join("\n")}`
    : "";
  const tried = input.tried?.length
    ? // A tried plan's note quotes its failed steps' errors (a remote tool's message): one line each.
      `\n\nOther plans were tried and failed (name them when you say the answer is partial):\n${input.tried.map(oneLine).join("\n")}`
    : "";
  const review = input.review
    ? `\n\nYour previous answer did not pass review:\n${fenced(input.review.answer)}\n\nFix every finding in the new ` +
      `answer; leave out what the step results do not support:\n${findingLines(input.review.findings)}`
    : "";
  return [
    new SystemMessage(system),
    new HumanMessage(`Goal: ${input.goal}\n\nStep results:\n${results}${failures}${tried}${review}`),
  ];
}
