import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import type { LangGraphRunnableConfig } from "@langchain/langgraph";
import { passBudget } from "../core/budget.js";
import { z } from "zod";
import { runSettings, type Settings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import type {
  Evaluation,
  PlanExecuteStateType,
  PlanExecuteUpdate,
  RoleUsage,
  StepRecord,
  UsageByRole,
} from "../core/state.js";
import { addUsage, stepRecordOf } from "../core/state.js";
import { deterministicVerdict } from "../execution/checks.js";
import { invokeStructured, StructuredOutputError } from "../models/structured.js";
import { idRecord } from "../plan/ids.js";
import type { PlanStep } from "../plan/schema.js";
import type { ToolRegistry } from "../tools/registry.js";
import { stepRunName } from "../tracing/step-runs.js";
import type { NodeDeps } from "./deps.js";
import { stepRunOptions } from "./executor.js";
import { checkPlan, planCheckAfter } from "./plan-signal.js";
import { gateOnConfidence } from "./confidence-gate.js";
import { withConfidence } from "./quality-prompts.js";
import { normaliseConfidence, type Confidence } from "../core/confidence.js";
import { stepOutputText } from "../tools/prompt-text.js";
import { buildCriticPrompt } from "./prompts.js";
import {
  durable,
  reflects,
  reflectStep,
  unwrapDeferred,
  type ReflectionContext,
  type ReflectionOutcome,
} from "./reflection.js";
import { allowStepListeners } from "../execution/listeners.js";

export const CriticVerdictSchema = z
  .object({
    pass: z.boolean().describe("True when the output satisfies the expected output."),
    reason: z.string().describe("One sentence: why it passes or what is wrong."),
  })
  .strict();

/** Whether the LLM critic checks this step under the run's `critic` setting. */
export function needsCritic(
  step: PlanStep,
  tools: ToolRegistry,
  settings: Pick<Settings, "critic">,
): boolean {
  if (settings.critic === "all") return true;
  return settings.critic === "llm_steps" && tools.get(step.tool)?.usesModel === true;
}

/**
 * The evaluator node: judges every step that finished since it last ran. Deterministic checks
 * first (error, timeout, empty output); then, where the settings ask for it, an LLM critic compares
 * the output with the step's `expected_output`. A step the critic rejects becomes failed.
 *
 * A quality-critical step ({@link reflects}) gets a reflection loop instead of a single verdict:
 * the critic scores each draft and the step revises it with the feedback until the critic approves
 * or `maxRevisions` is reached; the step keeps its best draft (see `./reflection.ts`). Each step's
 * loop is a durable task of its own, called here in plan order before anything is awaited, so a
 * resumed node finds every finished draft and verdict again.
 */
export function createEvaluatorNode(deps: NodeDeps) {
  return async function evaluator(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const passStarted = Date.now();
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const toJudge = state.plan.filter((s) => {
      const record = stepRecordOf(state.steps, s.id);
      return (
        record && (record.status === "succeeded" || record.status === "failed") && record.evaluation === null
      );
    });
    let usage: UsageByRole = {};
    // Tokens used so far in this pass, as they arrive, so that no revision starts over a budget.
    const budget = passBudget(state, settings, passStarted);

    // Reflection loops start first, synchronously and in plan order: their task ids follow call order.
    // (Their models are resolved before the first of them is called.)
    const loops = new Map<string, Promise<ReflectionOutcome>>();
    // Revisions run steps side by side (one per reflecting step), each listening to the run's signal.
    allowStepListeners(config.signal, toJudge.length);
    const models = toJudge.some((s) => reflects(s, deps.tools, settings))
      ? {
          executor: await deps.models("executor", settings),
          evaluator: await deps.models("evaluator", settings),
        }
      : null;
    for (const step of toJudge) {
      const record = stepRecordOf(state.steps, step.id) as StepRecord;
      if (!deterministicVerdict(record, deps.tools.get(step.tool)).ok) continue;
      if (!reflects(step, deps.tools, settings) || !models) continue;
      const ctx = reflectionContext(deps, state, step, record, settings, config, models, {
        emit,
        budgetReached: budget.reached,
        onUsage: (role, u) => {
          budget.add({ [role]: u });
        },
      });
      const loop = durable(`${stepRunName(step)} reflection`, () => reflectStep(ctx));
      loops.set(step.id, loop());
    }
    // The other verdicts run meanwhile; every step has settled (and saved what it finished) before an
    // error stops the node, with the error as it was: a resume runs the unfinished work again.
    const settled = await Promise.allSettled(
      toJudge.map(async (step) => {
        const record = stepRecordOf(state.steps, step.id) as StepRecord;
        const loop = loops.get(step.id);
        if (loop) {
          const outcome = await loop;
          // From the outcome, not as the loop ran: a loop read back whole from the checkpoint ran nothing here.
          for (const u of outcome.criticUsage) usage = addUsage(usage, { evaluator: u });
          if (outcome.revisionUsage) usage = addUsage(usage, { executor: outcome.revisionUsage });
          emit({ type: "step_evaluated", stepId: step.id, ...outcome.evaluation });
          const kept = outcome.reflection.drafts.find((d) => d.revision === outcome.reflection.kept);
          return gateOnConfidence(step, reflectionPatch(record, outcome), record, {
            step: kept?.stepConfidence ?? undefined,
            critic: kept?.criticConfidence ?? undefined,
            tools: deps.tools,
            settings,
            emit,
          });
        }
        const checks = deterministicVerdict(record, deps.tools.get(step.tool));
        let evaluation: Evaluation = { ...checks, by: "checks" };
        let criticConfidence: Confidence | undefined;
        if (checks.ok && needsCritic(step, deps.tools, settings)) {
          const verdict = await askCritic(
            await deps.models("evaluator", settings),
            buildCriticPrompt({
              goal: state.goal,
              step,
              output: stepOutputText(record.output, deps.tools.get(step.tool), settings.promptOutputChars),
            }),
            settings.minConfidence !== null,
          );
          criticConfidence = verdict.confidence;
          for (const callUsage of verdict.usage) {
            usage = addUsage(usage, { evaluator: callUsage });
            budget.add({ evaluator: callUsage });
          }
          evaluation = verdict.evaluation;
        }
        emit({ type: "step_evaluated", stepId: step.id, ...evaluation });
        return gateOnConfidence(step, verdictPatch(record, evaluation), record, {
          step: record.stepConfidence ?? undefined,
          critic: criticConfidence,
          tools: deps.tools,
          settings,
          emit,
        });
      }),
    );
    const failure = settled.find((r) => r.status === "rejected");
    if (failure) throw unwrapDeferred(failure.reason);
    const judged = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const check = await judgeRemainingPlan(deps, state, judged, settings, budget.reached().length > 0);
    if (check) {
      for (const u of check.usage) usage = addUsage(usage, { evaluator: u });
      const { after, verdict, reason, note } = check.check;
      emit({ type: "plan_checked", after, verdict, reason, note });
    }
    return {
      steps: idRecord(judged.map((p) => [p.id, p])),
      usage,
      ...(check ? { planChecks: [check.check] } : {}),
      ...(check?.check.verdict === "replan" ? { replanSignal: check.check } : {}),
    };
  };
}

/**
 * `replan: "on_signal"`: once this pass's verdicts are in, the evaluator model judges whether the
 * remaining steps still fit what the steps that just succeeded found ({@link planCheckAfter} says
 * when). A durable task called after every other one of the node, so a resumed node reads the
 * judgement back instead of asking again. No judgement once a budget is reached.
 */
async function judgeRemainingPlan(
  deps: NodeDeps,
  state: PlanExecuteStateType,
  judged: (Partial<StepRecord> & { id: string })[],
  settings: Settings,
  overBudget: boolean,
): Promise<Awaited<ReturnType<typeof checkPlan>> | null> {
  const after = planCheckAfter(state, judged, settings);
  if (after.length === 0 || overBudget) return null;
  const patched = new Map(judged.map((p) => [p.id, p]));
  const finished = state.plan.flatMap((s) => {
    const record = { ...stepRecordOf(state.steps, s.id), ...patched.get(s.id) };
    return record.status === "succeeded"
      ? [
          {
            id: s.id,
            description: s.description,
            tool: s.tool,
            output: stepOutputText(record.output, deps.tools.get(s.tool), settings.promptOutputChars),
          },
        ]
      : [];
  });
  const remaining = state.plan.filter(
    (s) => (stepRecordOf(state.steps, s.id)?.status ?? "pending") === "pending",
  );
  const ask = durable(`plan check v${state.planVersion} after ${after.join(",")}`, async () =>
    checkPlan(await deps.models("evaluator", settings), {
      goal: state.goal,
      finished,
      after,
      remaining,
      planVersion: state.planVersion,
    }),
  );
  try {
    return await ask();
  } catch (err) {
    throw unwrapDeferred(err);
  }
}

/** What one step's reflection loop needs: its inputs, how to run a revision, the critic. */
function reflectionContext(
  deps: NodeDeps,
  state: PlanExecuteStateType,
  step: PlanStep,
  record: StepRecord,
  settings: Settings,
  config: LangGraphRunnableConfig,
  models: { executor: BaseChatModel; evaluator: BaseChatModel },
  pass: Pick<ReflectionContext, "emit" | "budgetReached" | "onUsage">,
): ReflectionContext {
  // What the revision's args may reference: the step ran, so its dependencies succeeded.
  const outputs = new Map<string, unknown>();
  for (const r of Object.values(state.steps)) if (r.status === "succeeded") outputs.set(r.id, r.output);
  const byId = new Map(state.plan.map((s) => [s.id, s]));
  return {
    goal: state.goal,
    step,
    record,
    dependencies: step.depends_on.map((id) => ({
      id,
      description: byId.get(id)?.description ?? "",
      tool: byId.get(id)?.tool,
      output: outputs.get(id),
    })),
    outputs,
    run: stepRunOptions(state, config, deps, settings, pass.emit, models.executor),
    critic: models.evaluator,
    maxRevisions: settings.maxRevisions,
    promptOutputChars: settings.promptOutputChars,
    askConfidence: settings.minConfidence !== null,
    ...pass,
  };
}

/** The record of a step after its reflection loop: the kept draft as its output, and the loop. */
function reflectionPatch(
  record: StepRecord,
  outcome: ReflectionOutcome,
): Partial<StepRecord> & { id: string } {
  let usage = record.usage ?? null;
  if (outcome.revisionUsage) {
    usage = addUsage({ executor: usage ?? undefined }, { executor: outcome.revisionUsage }).executor ?? null;
  }
  return {
    id: record.id,
    output: outcome.output,
    evaluation: outcome.evaluation,
    reflection: outcome.reflection,
    usage,
  };
}

/** Times the critic is asked for a readable verdict on one step before the step fails. */
const CRITIC_ATTEMPTS = 2;

/**
 * The critic's verdict. An unreadable answer is sent back once with the problem; a second one fails
 * the step (the replanner takes over) rather than the whole run: a step the critic was asked to
 * check must not pass unchecked, but nor should one garbled verdict end the run. Transport errors
 * (after the client's own retries) still propagate, so the run stops and can be resumed.
 */
async function askCritic(
  model: BaseChatModel,
  prompt: BaseMessage[],
  askConfidence: boolean,
): Promise<{ evaluation: Evaluation; usage: RoleUsage[]; confidence?: Confidence }> {
  const usage: RoleUsage[] = [];
  let messages = prompt;
  // The confidence is asked for only while the run gates on it: other runs send the schema they always did.
  const schema = askConfidence ? withConfidence(CriticVerdictSchema) : null;
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await invokeStructured(model, schema?.ask ?? CriticVerdictSchema, messages, {
        name: "verdict",
        ...(schema ? { read: schema.read } : {}),
      });
      usage.push(answer.usage);
      const value = answer.value as z.output<typeof CriticVerdictSchema> & { confidence?: unknown };
      return {
        evaluation: { ok: value.pass, reason: value.reason, by: "critic" },
        usage,
        ...(schema ? { confidence: normaliseConfidence(value.confidence, "the critic") } : {}),
      };
    } catch (err) {
      if (!(err instanceof StructuredOutputError)) throw err;
      if (attempt >= CRITIC_ATTEMPTS) {
        const reason = `its verdict could not be read after ${attempt} attempts (${err.message})`;
        return { evaluation: { ok: false, reason, by: "critic" }, usage };
      }
      messages = [
        ...prompt,
        new HumanMessage(
          `Your last answer could not be read: ${err.message}\nAnswer again with only the verdict object.`,
        ),
      ];
    }
  }
}

function verdictPatch(record: StepRecord, evaluation: Evaluation): Partial<StepRecord> & { id: string } {
  if (evaluation.ok || record.status === "failed") return { id: record.id, evaluation };
  const prefix = evaluation.by === "critic" ? "rejected by the critic: " : "";
  return { id: record.id, evaluation, status: "failed", error: prefix + evaluation.reason };
}
