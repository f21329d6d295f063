import { interrupt, type LangGraphRunnableConfig } from "@langchain/langgraph";
import { runSettings, type BudgetKey, type PlanExecuteContext } from "../core/settings.js";
import { BudgetDecisionSchema, parseDecision, type ApprovalRequest } from "../core/decisions.js";
import type { PlanExecuteStateType, PlanExecuteUpdate } from "../core/state.js";
import { budgetUse, exceededBudgets } from "../core/budget.js";
import { digestOf } from "../plan/digest.js";

/**
 * The budget gate: reached when a limit (tokens, estimated cost, steps run, working time) is hit
 * while work remains. It stops and offers to raise the limits (each raised limit must exceed what
 * is already used) or to finish now, in which case the synthesizer writes a partial answer.
 */
export function budgetGate(
  state: PlanExecuteStateType,
  config: LangGraphRunnableConfig,
  defaults?: PlanExecuteContext,
): PlanExecuteUpdate {
  const settings = runSettings(state, config.context, defaults);
  const exceeded = exceededBudgets(state, settings);
  if (exceeded.length === 0) return {};
  const used = budgetUse(state, settings);
  let errors: string[] = [];
  const stop = digestOf({ run: state.runId, type: "budget", exceeded, used });
  for (;;) {
    const request: ApprovalRequest = { type: "budget", stop, exceeded, used, errors };
    const parsed = parseDecision(BudgetDecisionSchema, interrupt(request), stop);
    if ("errors" in parsed) {
      errors = parsed.errors;
      continue;
    }
    const decision = parsed.value;
    if (decision.action === "finish") return { finishRequested: true };
    const raises = decision.limits as Partial<Record<BudgetKey, number>>;
    errors = exceeded
      .filter((e) => (raises[e.key] ?? 0) <= e.used)
      .map((e) => `${e.key} must be raised above ${e.used} (now ${e.limit}); nothing was changed.`);
    if (errors.length === 0) return { budgetRaises: { ...state.budgetRaises, ...raises } };
  }
}
