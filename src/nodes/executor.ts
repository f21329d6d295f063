import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { GraphInterrupt, isGraphInterrupt, task, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings, type Settings } from "../core/settings.js";
import { progressWriter } from "../core/events.js";
import type {
  Approval,
  AuditEntry,
  PlanExecuteStateType,
  PlanExecuteUpdate,
  StepRecord,
} from "../core/state.js";
import { addUsage, stepRecordOf, type UsageByRole } from "../core/state.js";
import { idRecord, RESERVED_STEP_IDS, stepIdProblem } from "../plan/ids.js";
import type { PlanStep } from "../plan/schema.js";
import { passBudget, stepsExecuted } from "../core/budget.js";
import { actionDigest } from "../plan/digest.js";
import { prepareArgs, runStep, type StepOutcome, type StepRunOptions } from "../execution/run-step.js";
import { RISK_TIERS, type RiskTier } from "../tools/types.js";
import { Semaphore } from "../execution/semaphore.js";
import { createSubAgentHost } from "../execution/sub-agent.js";
import { priorUnfinishedStarts } from "../execution/start-markers.js";
import { watchWrites } from "../execution/durable-writes.js";
import { allowStepListeners } from "../execution/listeners.js";
import { annotatedStepRun, stepRunName } from "../tracing/step-runs.js";
import type { NodeDeps } from "./deps.js";
import { clearedForDependents, waitsForEvaluator } from "./gates.js";

/**
 * Thrown by a step whose dependency was paused by an interrupt. LangGraph saves nothing for a task
 * that ends in an interrupt with no payload, so on resume the step runs for real; any other error
 * would be saved and replayed as the step's result.
 */
class DependencyNotReady extends GraphInterrupt {
  readonly notReady = true;
  constructor(readonly reason: string) {
    super([]);
  }
}

/**
 * The executor node. Every runnable step becomes its own LangGraph `task()`, so a finished step
 * is saved as it finishes and is read back, not re-run, when the node resumes after an interrupt
 * or a crash. All tasks are *called* up front in plan order — task ids come from call order, so
 * this keeps them the same on resume — and each task waits inside for its own dependencies:
 * a step starts the moment they succeed, never waiting for a whole wave.
 */
export function createExecutorNode(deps: NodeDeps) {
  return async function executor(
    state: PlanExecuteStateType,
    config: LangGraphRunnableConfig,
  ): Promise<PlanExecuteUpdate> {
    const passStarted = Date.now();
    const saver = watchWrites(config);
    const settings = runSettings(state, config.context, deps.defaults);
    const emit = progressWriter(config.writer);
    const outputs = succeededOutputs(state, deps, settings);
    const pending = state.plan.filter(
      (s) => (stepRecordOf(state.steps, s.id)?.status ?? "pending") === "pending",
    );
    // Validation refuses such ids, but a plan written into state directly could hold one. A
    // `__proto__` result is never stored under its id, so that step would run again on every pass.
    const unusable = pending.find((s) => RESERVED_STEP_IDS.has(s.id));
    if (unusable) throw new Error(`the plan cannot run: ${stepIdProblem(unusable.id)}`);
    const runOptions = stepRunOptions(
      state,
      config,
      deps,
      settings,
      emit,
      await deps.models("executor", settings),
    );
    allowStepListeners(config.signal, state.plan.length);
    const limiter = new Semaphore(settings.maxConcurrency);
    let stepsLeft = (settings.maxStepsExecuted ?? Infinity) - stepsExecuted(state.steps);
    const inFlight = new Map<string, Promise<StepOutcome>>();
    const byId = new Map(state.plan.map((s) => [s.id, s]));
    // Usage of the steps that finished in this pass, so that budgets bind between steps, not
    // only between nodes: once a limit is crossed no new step starts, and the run goes to the
    // budget stop. The overshoot is at most the steps already running.
    const budget = passBudget(state, settings, passStarted);

    const waitForDependencies = async (step: PlanStep): Promise<StepOutcome | null> => {
      for (const dep of step.depends_on) {
        if (outputs.has(dep)) continue;
        const upstream = inFlight.get(dep);
        // A dependency that finished before this pass (the streaming planner runs LOW steps early)
        // but is not usable: it failed, or it succeeded and waits for the critic's verdict.
        const finished = upstream ? undefined : stepRecordOf(state.steps, dep)?.status;
        if (finished && finished !== "pending" && finished !== "running") {
          return blocked(step, finished === "succeeded" ? `${dep} awaits the critic` : `${dep} ${finished}`);
        }
        const outcome = upstream ? await upstream.catch(() => undefined) : undefined;
        if (!outcome) throw new DependencyNotReady(`${step.id}: ${dep} did not finish in this pass`);
        if (outcome.status !== "succeeded") return blocked(step, `${dep} ${outcome.status}`);
        const depStep = byId.get(dep);
        if (depStep && waitsForEvaluator(depStep, deps.tools, settings))
          return blocked(step, `${dep} awaits the evaluator`);
        outputs.set(dep, outcome.output);
      }
      return null;
    };

    const runOne = async (step: PlanStep): Promise<StepOutcome> => {
      const notReady = await waitForDependencies(step);
      if (notReady) return notReady;
      let approval = stepRecordOf(state.steps, step.id)?.approval ?? null;
      const tool = deps.tools.get(step.tool);
      if (tool && needsApproval(deps.tools.riskOf(step.tool), settings)) {
        let args: Record<string, unknown> | null = null;
        try {
          args = prepareArgs(step, tool, outputs);
        } catch {
          // Args that cannot be resolved fail the step below, with the same message as without approval.
        }
        // A decision covers exactly the tool and args the person was shown: anything else asks again.
        if (!args) approval = null;
        else if (!isDecidedFor(approval, actionDigest(step.tool, args))) {
          return { status: "awaiting_approval", id: step.id, args };
        }
      } else {
        approval = null;
      }
      const dependencies = step.depends_on.map((id) => ({
        id,
        description: byId.get(id)?.description ?? "",
        tool: byId.get(id)?.tool,
        output: outputs.get(id),
      }));
      return limiter.run(async () => {
        if (stepsLeft <= 0) return blocked(step, "the step budget is used up");
        const reached = budget.reached();
        if (reached.length > 0) return blocked(step, `budget reached: ${reached.join(", ")}`);
        stepsLeft -= 1;
        // A sub-agent step (a tool allowlist) keeps no step-level start markers: it may stop for a
        // person inside, and its nested turns and calls are found again by their position among the
        // step's tasks, which a growing row of markers would shift. Each of its tool calls keeps a
        // row of its own instead, inside the call's task (see execution/sub-agent.ts).
        if (!hasAllowlist(step)) {
          const crashes = await priorUnfinishedStarts(step.id, saver);
          if (crashes >= settings.maxStepCrashes) return crashLooped(step, crashes, emit);
        }
        return runStep(step, dependencies, outputs, runOptions, approval?.args);
      });
    };

    /** `runOne` as the step's traced task run: what the step is up front, how it ended at the end. */
    const runTraced = (step: PlanStep): Promise<StepOutcome> =>
      annotatedStepRun(
        {
          step_id: step.id,
          tool: step.tool,
          risk: deps.tools.riskOf(step.tool),
          plan_version: state.planVersion,
          depends_on: step.depends_on,
        },
        () => runOne(step),
      );

    for (const step of pending) {
      const outcome = durable(stepRunName(step), runTraced)(step);
      // Registered before any dependent awaits it, so a dependent's budget check sees this usage.
      outcome.then(
        (o) => {
          if ("usage" in o && o.usage) budget.add({ executor: o.usage });
        },
        () => {},
      );
      inFlight.set(step.id, outcome);
    }
    const settled = await Promise.allSettled(inFlight.values());
    rethrowControlFlow(settled);
    return toUpdate(settled, byId, deps, (id) => stepRecordOf(state.steps, id)?.approval ?? null);
  };
}

/** How the steps of this run are run: tools, the executor model, limits, retries, events. */
export function stepRunOptions(
  state: Pick<PlanExecuteStateType, "goal" | "runId">,
  config: LangGraphRunnableConfig,
  deps: NodeDeps,
  settings: Settings,
  emit: ReturnType<typeof progressWriter>,
  model: BaseChatModel,
): StepRunOptions {
  return {
    tools: deps.tools,
    model,
    goal: state.goal,
    runKey: `${String(config.configurable?.thread_id ?? "no-thread")}:${state.runId ?? "run"}`,
    maxOutputBytes: settings.maxOutputBytes,
    timeoutMs: settings.stepTimeoutMs,
    maxRetries: settings.maxRetries,
    backoff: { baseDelayMs: settings.retryBaseDelayMs, maxDelayMs: settings.retryMaxDelayMs },
    emit,
    signal: config.signal,
    askConfidence: settings.minConfidence !== null,
    subAgent: (step, allowed, parent) =>
      createSubAgentHost({
        step,
        allowed,
        tools: deps.tools,
        maxTurns: settings.maxSubAgentTurns,
        needsApproval: (risk) => needsApproval(risk, settings),
        runId: state.runId,
        runKey: `${String(config.configurable?.thread_id ?? "no-thread")}:${state.runId ?? "run"}`,
        timeoutMs: settings.stepTimeoutMs,
        maxCallCrashes: settings.maxStepCrashes,
        saver: watchWrites(config),
        emit,
        parent,
      }),
  };
}

/** An `llm` step with a tool allowlist: it runs as a tool-calling sub-agent. */
function hasAllowlist(step: PlanStep): boolean {
  return Array.isArray(step.args.tools) && step.args.tools.length > 0;
}

/** Whether a step of this tier waits for a person under the run's `autoApprove` setting. */
export function needsApproval(risk: RiskTier, settings: Pick<Settings, "autoApprove">): boolean {
  return RISK_TIERS.indexOf(risk) > RISK_TIERS.indexOf(settings.autoApprove);
}

function isDecided(approval: Approval | null): approval is Approval {
  return approval !== null && (approval.status === "approved" || approval.status === "edited");
}

/** A decision made for exactly this action (tool and resolved args), by its digest. */
function isDecidedFor(approval: Approval | null, digest: string): boolean {
  return isDecided(approval) && approval.digest === digest;
}

export function crashLooped(
  step: PlanStep,
  crashes: number,
  emit: ReturnType<typeof progressWriter>,
): StepOutcome {
  const at = Date.now();
  const error = `this step ended the process ${crashes} times (its attempts started and never finished); it was not run again`;
  emit({ type: "step_failed", stepId: step.id, tool: step.tool, durationMs: 0, error });
  return {
    status: "failed",
    id: step.id,
    output: null,
    error,
    attempts: 0,
    startedAt: at,
    finishedAt: at,
    attemptLog: [],
    usage: null,
    args: null,
  };
}

/** `task()` typed for an async function (its typings would otherwise nest the promise). */
function durable(
  name: string,
  fn: (step: PlanStep) => Promise<StepOutcome>,
): (step: PlanStep) => Promise<StepOutcome> {
  return task<[PlanStep], Promise<StepOutcome>>({ name }, fn) as unknown as (
    step: PlanStep,
  ) => Promise<StepOutcome>;
}

export function blocked(step: PlanStep, reason: string): StepOutcome {
  return { status: "blocked", id: step.id, reason };
}

/** Outputs the steps of this pass may use: succeeded steps that need no judgement or passed it. */
function succeededOutputs(
  state: PlanExecuteStateType,
  deps: NodeDeps,
  settings: Settings,
): Map<string, unknown> {
  const outputs = new Map<string, unknown>();
  for (const record of Object.values(state.steps)) {
    const step = state.plan.find((s) => s.id === record.id);
    if (clearedForDependents(step, record, deps.tools, settings)) outputs.set(record.id, record.output);
  }
  return outputs;
}

/** An interrupt inside one step pauses the node once every other step has settled and been saved. */
export function rethrowControlFlow(settled: PromiseSettledResult<StepOutcome>[]): void {
  const rejections = settled.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  const interrupt = rejections.find((e) => isGraphInterrupt(e) && !(e instanceof DependencyNotReady));
  if (interrupt) throw interrupt;
  const unexpected = rejections.find((e) => !(e instanceof DependencyNotReady));
  if (unexpected) throw unexpected;
}

export function toUpdate(
  settled: PromiseSettledResult<StepOutcome>[],
  byId: Map<string, PlanStep>,
  deps: NodeDeps,
  approvalOf: (id: string) => Approval | null,
): PlanExecuteUpdate {
  const steps = idRecord<Partial<StepRecord> & { id: string }>();
  const audit: AuditEntry[] = [];
  let usage: UsageByRole = {};
  for (const result of settled) {
    if (result.status !== "fulfilled") continue;
    const outcome = result.value;
    const step = byId.get(outcome.id) as PlanStep;
    const risk = deps.tools.riskOf(step.tool);
    if (outcome.status === "blocked") continue;
    if (outcome.status === "awaiting_approval") {
      const approval = {
        status: "waiting" as const,
        args: outcome.args,
        risk,
        reason: null,
        decidedAt: null,
        digest: actionDigest(step.tool, outcome.args),
      };
      steps[outcome.id] = { id: outcome.id, approval };
      continue;
    }
    const { usage: stepUsage, args, ...record } = outcome;
    steps[record.id] = { ...record, usage: stepUsage, evaluation: null };
    // A sub-agent's calls above LOW risk are in the audit log like plan steps, with what was decided.
    for (const call of outcome.subAgentCalls ?? []) {
      if (call.risk === "LOW" || call.decision === "refused") continue;
      audit.push({
        at: call.at,
        stepId: record.id,
        tool: call.tool,
        risk: call.risk,
        args: (call.args ?? {}) as Record<string, unknown>,
        decision: call.decision,
        reason: call.decision === "rejected" ? call.error : null,
      });
    }
    if (stepUsage) usage = addUsage(usage, { executor: stepUsage });
    // Steps a person approved are already in the audit log with that decision.
    if (risk !== "LOW" && !isDecided(approvalOf(record.id)) && args !== null) {
      audit.push({
        at: record.startedAt,
        stepId: record.id,
        tool: step.tool,
        risk,
        args,
        decision: "ran",
        reason: null,
      });
    }
  }
  return { steps, usage, audit };
}
