import type { ModelProvider } from "../models/provider.js";
import type { ToolRegistry } from "../tools/registry.js";

/** What the nodes are built from. Passed once to the graph builder; nodes never reach for globals. */
export interface NodeDeps {
  models: ModelProvider;
  tools: ToolRegistry;
}
