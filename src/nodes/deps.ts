import type { PlanExecuteContext } from "../core/settings.js";
import type { ModelProvider } from "../models/provider.js";
import type { ToolRegistry } from "../tools/registry.js";

/** What the nodes are built from. Passed once to the graph builder; nodes never reach for globals. */
export interface NodeDeps {
  models: ModelProvider;
  tools: ToolRegistry;
  /**
   * Settings every run starts from (the agent's policies and limits). A run's own settings and
   * each invocation's context override them key by key. The builder throws for an invalid one.
   */
  defaults?: PlanExecuteContext;
}
