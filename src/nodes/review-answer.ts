import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { exceededBudgets } from "../core/budget.js";
import { progressWriter } from "../core/events.js";
import { runSettings, type Settings } from "../core/settings.js";
import {
  addUsage,
  stepRecordOf,
  type AnswerReview,
  type PlanExecuteStateType,
  type PlanExecuteUpdate,
  type RoleUsage,
  type UsageByRole,
} from "../core/state.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";
import { checkAnswer } from "./answer-checks.js";
import type { NodeDeps } from "./deps.js";
import type { ToolLookup } from "../tools/prompt-text.js";
import { evidenceOf } from "./evidence.js";
import { AnswerVerdictSchema, buildAnswerReviewPrompt } from "./quality-prompts.js";

/** Times the reviewer is asked for a readable verdict before its review is left out. */
const REVIEWER_ATTEMPTS = 2;

/**
 * The answer review node, after the synthesizer (plan → execute → reflect at the goal level).
 * Deterministic checks first (every cited step exists and succeeded; every number comes from a
 * succeeded step or the goal), then, while the critic is on and only if the checks passed, a model
 * reviewer (complete? supported?): a request is spent only on an answer the checks cannot fault. While the critic is on, a failed review with rounds left (`maxAnswerRevisions`)
 * sends its findings to the replanner, which keeps everything finished and adds steps if they can
 * help; then the answer is written again, with the findings, and reviewed again. With the critic
 * off the checks only report (no model is called). The latest review is `answerReview`.
 */
export function createReviewAnswerNode(deps: NodeDeps) {
  return async function reviewAnswer(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const answer = state.finalAnswer ?? "";
    const findings = checkAnswer({ answer, goal: state.goal, steps: state.steps });
    const by: AnswerReview["by"] = ["checks"];
    const notes: string[] = [];
    const budgets = exceededBudgets(
      { usage: state.usage, steps: state.steps, activeMs: state.activeMs },
      settings,
    ).map((b) => b.key);
    let usage: UsageByRole = {};

    if (settings.critic !== "off") {
      const modelBudgets = budgets.filter((k) => k !== "maxStepsExecuted");
      if (state.finishRequested) notes.push("the model reviewer was skipped: a person asked to finish");
      else if (modelBudgets.length > 0)
        notes.push(`the model reviewer was skipped: budget reached (${modelBudgets.join(", ")})`);
      // The checks decide first: an answer they fail goes back (or is reported) whatever a model would
      // add, and the rewritten answer meets the model reviewer in the next round.
      else if (findings.length > 0)
        notes.push("the model reviewer was skipped: the checks already failed the answer");
      else {
        const verdict = await askReviewer(
          await deps.models("evaluator", settings),
          buildAnswerReviewPrompt({ goal: state.goal, answer, ...resultsOf(state, deps.tools, settings) }),
        );
        for (const u of verdict.usage) usage = addUsage(usage, { evaluator: u });
        if (verdict.problems === null)
          notes.push(`the reviewer's verdict could not be read (${verdict.note})`);
        else {
          by.push("reviewer");
          findings.push(...verdict.problems);
        }
      }
    }

    const passed = findings.length === 0;
    let revise = false;
    if (!passed) {
      // With the critic off the review only reports: a run on the defaults calls no extra model.
      if (settings.critic === "off") notes.push("no round: the critic is off, so the review only reports");
      else if (state.answerRevisions >= settings.maxAnswerRevisions)
        notes.push(`no round of review left (maxAnswerRevisions ${settings.maxAnswerRevisions})`);
      else if (state.finishRequested) notes.push("no new round: a person asked to finish");
      else if (budgets.length > 0) notes.push(`no new round: budget reached (${budgets.join(", ")})`);
      else revise = true;
    }
    const review: AnswerReview = {
      round: state.answerRevisions + 1,
      passed,
      findings,
      by,
      notes,
      revise,
    };
    emit({ type: "answer_reviewed", round: review.round, passed, findings, by, revise });
    return {
      answerReview: review,
      answerRevisions: state.answerRevisions + (revise ? 1 : 0),
      usage,
    };
  };
}

/** The succeeded steps with their outputs and the others with why, as the reviewer is shown them. */
function resultsOf(state: PlanExecuteStateType, tools: ToolLookup, settings: Settings) {
  const record = (id: string) => stepRecordOf(state.steps, id);
  return {
    results: evidenceOf(
      state,
      state.plan.filter((s) => record(s.id)?.status === "succeeded"),
      tools,
      settings,
    ),
    failures: state.plan
      .filter((s) => record(s.id)?.status !== "succeeded")
      .map((s) => ({
        id: s.id,
        description: s.description,
        error: record(s.id)?.error ?? `not run (${record(s.id)?.status ?? "pending"})`,
      })),
  };
}

/**
 * The reviewer's findings: none when the answer is complete and supported; its problems (or a
 * plain statement of which test failed) when not; `null` when its verdict stayed unreadable. An
 * unreadable verdict does not fail the answer (the deterministic checks still count); transport
 * errors propagate, so the run stops and a resume asks again.
 */
async function askReviewer(
  model: BaseChatModel,
  prompt: BaseMessage[],
): Promise<{ problems: string[] | null; note: string; usage: RoleUsage[] }> {
  const usage: RoleUsage[] = [];
  let messages = prompt;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await invokeStructured(model, AnswerVerdictSchema, messages, { name: "answer_review" });
      usage.push(answer.usage);
      const { complete, supported, problems } = answer.value;
      if (complete && supported) return { problems: [], note: "", usage };
      const listed = problems.map((p) => p.trim()).filter(Boolean);
      if (listed.length > 0) return { problems: listed.map((p) => `Reviewer: ${p}`), note: "", usage };
      const what = [
        complete ? "" : "does not address every part of the goal",
        supported ? "" : "makes claims the step results do not support",
      ].filter(Boolean);
      return { problems: [`Reviewer: the answer ${what.join(" and ")}.`], note: "", usage };
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      if (attempt >= REVIEWER_ATTEMPTS)
        return { problems: null, note: `after ${attempt} attempts: ${err.message}`, usage };
      messages = [
        ...prompt,
        new HumanMessage(
          `Your last answer could not be read: ${err.message}\nAnswer again with only the review object.`,
        ),
      ];
    }
  }
}
