import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mermaidDiagram } from "../scripts/diagram-source.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("embeds the mermaid diagram drawn from the compiled graph (run `npm run diagram` to refresh)", async () => {
    expect(readme).toContain(await mermaidDiagram());
  });

  it("documents the test command that .ci/run runs", () => {
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    expect(readme).toContain("npm test");
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  it("documents every environment variable of .env.example", () => {
    const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
    const names = [...example.matchAll(/^([A-Z_]+)=/gm)]
      .map((m) => m[1] as string)
      .filter((n) => !n.startsWith("LANGSMITH"));
    for (const name of names) expect(readme).toContain(name);
  });
});
