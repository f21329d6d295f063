import { describe, expect, it } from "vitest";
import { EnvConfigError, readEnv } from "../../src/config/env.js";
import {
  createDefaultTools,
  createSendEmailTool,
  createToolRegistry,
  defaultTools,
  searchTool,
  toolSuiteOptionsFromEnv,
} from "../../src/tools/index.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { fakeTool } from "../helpers/tools.js";
import { z } from "zod";

const TIERS = {
  calculator: "LOW",
  search: "LOW",
  llm: "LOW",
  summarize: "LOW",
  read_file: "LOW",
  list_files: "LOW",
  write_file: "MEDIUM",
  delete_file: "HIGH",
  load_csv: "LOW",
  describe_data: "LOW",
  find_anomalies: "LOW",
  group_by: "LOW",
  http_get: "MEDIUM",
};

/** Every object in a JSON schema, with its properties. */
function objects(schema: unknown, found: { properties: Record<string, { description?: string }> }[] = []) {
  if (schema && typeof schema === "object") {
    const s = schema as { properties?: Record<string, { description?: string }> };
    if (s.properties) found.push({ properties: s.properties });
    for (const value of Object.values(schema)) objects(value, found);
  }
  return found;
}

describe("createDefaultTools", () => {
  it("has the whole suite with its tiers", () => {
    const tools = createDefaultTools();
    expect(Object.fromEntries(tools.map((t) => [t.name, t.risk]))).toEqual(TIERS);
    expect(defaultTools().map((t) => t.name)).toEqual(tools.map((t) => t.name));
  });

  it("describes every argument of every tool and renders the planner prompt", () => {
    for (const tool of createDefaultTools()) {
      const schema = z.toJSONSchema(tool.schema, { io: "input", unrepresentable: "any" });
      const props = objects(schema).flatMap((o) => Object.entries(o.properties));
      // rows' items are free-form records; every named argument is described.
      for (const [name, prop] of props) expect(prop.description, `${tool.name}.${name}`).toBeTruthy();
    }
    const prompt = new ToolRegistry(createDefaultTools()).describeForPrompt();
    for (const [name, tier] of Object.entries(TIERS))
      expect(prompt).toMatch(new RegExp(`^- ${name}\\([^\\n]*\\) \\[${tier}\\]: `, "m"));
  });

  it("every tool has a timeout, except llm which uses the run's", () => {
    for (const tool of createDefaultTools()) {
      if (tool.name !== "llm") expect(tool.timeoutMs, tool.name).toBeGreaterThan(0);
    }
  });

  it("uses web search for `search` when a key is given, the corpus otherwise", () => {
    expect(createDefaultTools().find((t) => t.name === "search")).toBe(searchTool);
    const web = createDefaultTools({ webSearchApiKey: "k" }).find((t) => t.name === "search");
    expect(web).not.toBe(searchTool);
    expect(web?.description).toMatch(/web/);
  });

  it("passes the allowlist and workspace options on", () => {
    const tools = createDefaultTools({ allowHosts: ["api.example.com"], workspace: "/tmp/x" });
    expect(tools.find((t) => t.name === "http_get")?.description).toContain("api.example.com");
  });

  it("reads PLAN_EXECUTE_ALLOW_HOSTS entries with ports, and refuses one that cannot be read", () => {
    expect(readEnv({ PLAN_EXECUTE_ALLOW_HOSTS: "api.example.com, 127.0.0.1:8080" }).allowHosts).toEqual([
      "api.example.com",
      "127.0.0.1:8080",
    ]);
    expect(() => readEnv({ PLAN_EXECUTE_ALLOW_HOSTS: "api.example.com,ftp://files.example.com" })).toThrow(
      EnvConfigError,
    );
  });

  it("reads the Tavily key from the environment config only", () => {
    expect(toolSuiteOptionsFromEnv(readEnv({ TAVILY_API_KEY: " tvly-1 " }))).toEqual({
      webSearchApiKey: "tvly-1",
    });
    expect(toolSuiteOptionsFromEnv(readEnv({}))).toEqual({});
  });

  it("createToolRegistry still adds extra tools to the defaults", () => {
    const registry = createToolRegistry([fakeTool("echo", z.object({}), () => "x")]);
    expect(registry.has("echo")).toBe(true);
    expect(registry.has("load_csv")).toBe(true);
    expect(registry.riskOf("delete_file")).toBe("HIGH");
  });

  it("gives an app send_email on its own, beside the defaults (it is not one of them)", () => {
    expect(createDefaultTools().some((t) => t.name === "send_email")).toBe(false);
    const registry = createToolRegistry([createSendEmailTool({ outbox: "/nowhere/outbox" })]);
    expect(registry.riskOf("send_email")).toBe("HIGH");
  });
});
