/** Prints the graph's mermaid diagram, drawn from the compiled graph itself (the README embeds it). */
import { mermaidDiagram } from "../src/diagram.js";

console.log(await mermaidDiagram());
