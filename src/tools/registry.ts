import { renderToolsForPrompt, type ToolPromptOptions } from "./prompt.js";
import type { PlanTool, RiskTier } from "./types.js";

/**
 * The tools a plan may use. Lookups of a name that is not registered answer `undefined`
 * (validation turns that into an "unknown tool" error) and {@link ToolRegistry.riskOf}
 * answers HIGH for it, so an unknown tool can never slip through as harmless.
 */
export class ToolRegistry {
  readonly #tools = new Map<string, PlanTool>();

  constructor(tools: Iterable<PlanTool<any>> = []) {
    for (const tool of tools) this.register(tool);
  }

  register<A>(tool: PlanTool<A>): this {
    if (this.#tools.has(tool.name)) throw new Error(`tool "${tool.name}" is registered twice`);
    this.#tools.set(tool.name, tool as unknown as PlanTool);
    return this;
  }

  get(name: string): PlanTool | undefined {
    return this.#tools.get(name);
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  names(): string[] {
    return [...this.#tools.keys()];
  }

  list(): PlanTool[] {
    return [...this.#tools.values()];
  }

  riskOf(name: string): RiskTier {
    return this.#tools.get(name)?.risk ?? "HIGH";
  }

  /**
   * The tools for the planner prompt: a compact signature per tool (see {@link renderToolsForPrompt});
   * with a `goal`, a large catalogue shows only the relevant tools in full and names the others.
   */
  describeForPrompt(options: ToolPromptOptions = {}): string {
    return renderToolsForPrompt(this.list(), options);
  }
}
