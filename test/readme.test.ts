import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mermaidDiagram } from "../scripts/diagram-source.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), "utf8");

describe("README", () => {
  it("docs/architecture.md embeds the mermaid diagram drawn from the compiled graph (`npm run diagram`)", async () => {
    expect(doc("architecture.md")).toContain(await mermaidDiagram());
  });

  it("documents the test command that .ci/run runs", () => {
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    expect(readme).toContain("npm test");
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  it("links every document it points to", () => {
    for (const [, target] of readme.matchAll(/\]\((docs\/[^)#]+)\)/g)) {
      expect(() => readFileSync(new URL(`../${target}`, import.meta.url))).not.toThrow();
    }
  });

  it("docs/configuration.md documents every environment variable of .env.example and every run setting", async () => {
    const { PlanExecuteContextSchema } = await import("../src/core/settings.js");
    const configuration = doc("configuration.md");
    for (const key of Object.keys(PlanExecuteContextSchema.shape))
      expect(configuration).toContain(`\`${key}\``);
    const example = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
    const names = [...example.matchAll(/^([A-Z_]+)=/gm)]
      .map((m) => m[1] as string)
      .filter((n) => !n.startsWith("LANGSMITH"));
    for (const name of names) expect(configuration).toContain(name);
  });
});
