import { calculatorTool } from "./calculator.js";
import { llmTool } from "./llm.js";
import { ToolRegistry } from "./registry.js";
import { searchTool } from "./search.js";
import type { PlanTool } from "./types.js";

export { calculatorTool, llmTool, searchTool, ToolRegistry };
export type { PlanTool };

/** The built-in tools: calculator, search over the bundled corpus, and LLM steps. */
export function defaultTools(): PlanTool<any>[] {
  return [calculatorTool, searchTool, llmTool];
}

/** A registry of the built-in tools plus `extra`. */
export function createToolRegistry(extra: Iterable<PlanTool<any>> = []): ToolRegistry {
  return new ToolRegistry([...defaultTools(), ...extra]);
}
