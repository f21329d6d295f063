import { buildPlanExecuteGraph } from "../src/graph/builder.js";
import { fixedModelProvider } from "../src/models/provider.js";
import { scriptedRoles } from "../src/testing/scripted.js";
import { ToolRegistry } from "../src/tools/registry.js";

/** The graph's mermaid diagram as LangGraph draws it (no model or tool is called). */
export async function mermaidDiagram(): Promise<string> {
  const graph = buildPlanExecuteGraph({
    models: fixedModelProvider(scriptedRoles({})),
    tools: new ToolRegistry(),
  }).compile();
  const drawable = await graph.getGraphAsync();
  return drawable.drawMermaid({ withStyles: false }).trim();
}
