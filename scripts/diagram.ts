/** Prints the graph's mermaid diagram, drawn from the compiled graph itself (the README embeds it). */
import { mermaidDiagram } from "./diagram-source.js";

console.log(await mermaidDiagram());
