import { emailScenario } from "./email.js";
import { incomeScenario } from "./income.js";
import { ratioScenario } from "./ratio.js";
import { recoverScenario } from "./recover.js";
import { reviewScenario } from "./review.js";
import { salesScenario } from "./sales.js";
import { searchScenario } from "./search.js";
import type { Scenario } from "./types.js";

export type { Scenario };
export const SCENARIOS: readonly Scenario[] = [
  ratioScenario,
  incomeScenario,
  recoverScenario,
  emailScenario,
  salesScenario,
  reviewScenario,
  searchScenario,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The scenario a thread belongs to, known by its goal (demo goals are fixed texts). */
export function scenarioForGoal(goal: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.goal === goal);
}
