import { incomeScenario } from "./income.js";
import { ratioScenario } from "./ratio.js";
import { recoverScenario } from "./recover.js";
import type { Scenario } from "./types.js";

export type { Scenario };
export const SCENARIOS: readonly Scenario[] = [ratioScenario, incomeScenario, recoverScenario];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
