import type { PlanExecuteContext } from "../core/settings.js";
import type { ModelRole } from "../core/roles.js";
import type { ScriptedReply } from "../testing/scripted.js";

/**
 * A bundled offline scenario: a goal and what each model role "says". The tools are real —
 * search reads the bundled corpus, calculator computes — so every number in the answer comes
 * from a tool; only the models' decisions are scripted.
 */
export interface Scenario {
  name: string;
  title: string;
  goal: string;
  script: Partial<Record<ModelRole, ScriptedReply[]>>;
  /** Settings for this scenario's run. */
  context?: PlanExecuteContext;
  /** Puts the files the scenario reads into the tools' workspace before it runs. */
  prepare?: (workspace: string) => Promise<unknown>;
}

/** The wire format of a plan step, written as an object for readability. */
export interface ScriptStep {
  id: string;
  description: string;
  tool: string;
  args: Record<string, unknown>;
  depends_on?: string[];
  expected_output: string;
  /** Quality-critical: the critic reviews it and it revises (default false). */
  reflect?: boolean;
}

/** A structured planner reply from readable steps (args encoded as the JSON string the schema wants). */
export function planReply(steps: ScriptStep[]): ScriptedReply {
  return {
    structured: {
      steps: steps.map((s) => ({
        ...s,
        args: JSON.stringify(s.args),
        depends_on: s.depends_on ?? [],
        reflect: s.reflect ?? false,
      })),
    },
  };
}

/** Text of the last human message of a prompt: what a scripted reply computes its answer from. */
export function lastHumanText(messages: { content: unknown; getType?: () => string }[]): string {
  const human = [...messages].reverse().find((m) => m.getType?.() === "human") ?? messages.at(-1);
  return typeof human?.content === "string" ? human.content : JSON.stringify(human?.content ?? "");
}

/**
 * The output a prompt shows for a step: the lines after `[step_id] description`, to a blank line.
 * What the prompt points back to (`(the same output as [step_1])`, `results.2: as [step_1] results.0`,
 * see `stepBlocks`) is read where it points, as a model would.
 */
export function resultOf(prompt: string, stepId: string): string {
  const match = prompt.match(new RegExp(`\\[${stepId}\\][^\\n]*\\n((?:.+\\n?)*)`));
  const text = match?.[1]?.trim();
  if (text === undefined) return "(missing)";
  const same = /^\(the same output as \[([\w-]+)\]\)$/.exec(text);
  if (same) return resultOf(prompt, same[1]!);
  return text.replace(
    /^([\w.-]+): as \[([\w-]+)\] ([\w.-]+)$/gm,
    (line, label: string, id: string, at: string) => {
      const first = resultOf(prompt, id)
        .split("\n")
        .find((l) => l.startsWith(`${at}: `));
      return first ? `${label}: ${first.slice(at.length + 2)}` : line;
    },
  );
}

export function money(value: string | number): string {
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? `$${n.toLocaleString("en-US", { maximumFractionDigits: 0 })}` : String(value);
}

/** The answer reviewer's reply when it finds nothing wrong. */
export const ANSWER_APPROVED = { structured: { complete: true, supported: true, problems: [] } };
