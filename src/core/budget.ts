import type { BudgetKey, Settings } from "./settings.js";
import { addUsage, type StepRecord, type UsageByRole } from "./state.js";

export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
}

/** USD per million tokens for common models; `prices` in the settings adds to and overrides these. */
export const DEFAULT_PRICES: Readonly<Record<string, Price>> = {
  "gpt-4o-mini": { inputPerMTok: 0.15, outputPerMTok: 0.6 },
  "gpt-4o": { inputPerMTok: 2.5, outputPerMTok: 10 },
  "gpt-4.1": { inputPerMTok: 2, outputPerMTok: 8 },
  "gpt-4.1-mini": { inputPerMTok: 0.4, outputPerMTok: 1.6 },
  "gpt-4.1-nano": { inputPerMTok: 0.1, outputPerMTok: 0.4 },
  "o4-mini": { inputPerMTok: 1.1, outputPerMTok: 4.4 },
};

function priceOf(model: string | undefined, prices: Readonly<Record<string, Price>>): Price | undefined {
  if (!model) return undefined;
  // Providers answer with dated names ("gpt-4o-mini-2024-07-18"): fall back to the longest known prefix.
  if (prices[model]) return prices[model];
  const prefix = Object.keys(prices)
    .filter((name) => model.startsWith(name))
    .sort((a, b) => b.length - a.length)[0];
  return prefix ? prices[prefix] : undefined;
}

/** Estimated USD cost of the usage so far; models without a price count as free (listed in `unpriced`). */
export function estimateCost(
  usage: UsageByRole,
  extraPrices: Readonly<Record<string, Price>> = {},
): { usd: number; unpriced: string[] } {
  const prices = { ...DEFAULT_PRICES, ...extraPrices };
  let usd = 0;
  const unpriced = new Set<string>();
  for (const u of Object.values(usage)) {
    if (!u) continue;
    const price = priceOf(u.model, prices);
    if (!price) {
      if (u.total_tokens > 0) unpriced.add(u.model ?? "(unknown model)");
      continue;
    }
    usd += (u.input_tokens * price.inputPerMTok + u.output_tokens * price.outputPerMTok) / 1_000_000;
  }
  return { usd, unpriced: [...unpriced] };
}

export interface BudgetUse {
  key: BudgetKey;
  limit: number;
  used: number;
}

export interface BudgetState {
  usage: UsageByRole;
  steps: Record<string, StepRecord>;
  activeMs: number;
}

/** What the run has used of each budget. */
export function budgetUse(state: BudgetState, settings: Settings): Record<BudgetKey, number> {
  return {
    maxTokens: Object.values(state.usage).reduce((sum, u) => sum + (u?.total_tokens ?? 0), 0),
    maxCostUsd: estimateCost(state.usage, settings.prices).usd,
    maxStepsExecuted: stepsExecuted(state.steps),
    maxWallMs: state.activeMs,
  };
}

export function stepsExecuted(steps: Record<string, StepRecord>): number {
  return Object.values(steps).filter((r) => r.startedAt !== null).length;
}

/** Every budget limit the run has reached or passed. */
export function exceededBudgets(state: BudgetState, settings: Settings): BudgetUse[] {
  const used = budgetUse(state, settings);
  const out: BudgetUse[] = [];
  for (const key of Object.keys(used) as BudgetKey[]) {
    const limit = settings[key];
    if (limit !== null && used[key] >= limit) out.push({ key, limit, used: used[key] });
  }
  return out;
}

/**
 * Budgets checked inside a node, between its steps rather than only between nodes: usage is added
 * as it arrives (`add`), and `reached()` names the limits crossed so far, counting this pass's
 * working time. Steps executed are counted by the executor itself.
 */
export function passBudget(state: BudgetState, settings: Settings, passStarted = Date.now()) {
  let passUsage: UsageByRole = {};
  return {
    add(usage: UsageByRole): void {
      passUsage = addUsage(passUsage, usage);
    },
    reached(): BudgetKey[] {
      return exceededBudgets(
        {
          usage: addUsage(state.usage, passUsage),
          steps: state.steps,
          activeMs: state.activeMs + (Date.now() - passStarted),
        },
        settings,
      )
        .filter((b) => b.key !== "maxStepsExecuted")
        .map((b) => b.key);
    },
  };
}
