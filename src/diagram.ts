import { buildPlanExecuteGraph } from "./graph/builder.js";
import { fixedModelProvider } from "./models/provider.js";
import { scriptedRoles } from "./models/scripted.js";
import { ToolRegistry } from "./tools/registry.js";

/** The graph's mermaid diagram as LangGraph draws it (no model or tool is called). */
export async function mermaidDiagram(): Promise<string> {
  const graph = buildPlanExecuteGraph({
    models: fixedModelProvider(scriptedRoles({})),
    tools: new ToolRegistry(),
  }).compile();
  const drawable = await graph.getGraphAsync();
  return drawable.drawMermaid({ withStyles: false }).trim();
}
