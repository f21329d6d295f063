import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMcpTools, McpConfigError, parseMcpConfig, readMcpConfig } from "../../src/tools/mcp.js";
import { ToolRegistry } from "../../src/tools/registry.js";
import { runTool, toolNamed } from "../fixtures/tool-context.js";
import { fixture } from "../helpers/fixtures.js";

const SERVER = fixture("mcp-server");
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const stdioServer = (extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [SERVER],
  cwd: REPO,
  ...extra,
});

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pe-mcp-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, content: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return file;
}

describe("mcp.json validation", () => {
  it("accepts stdio and HTTP servers with optional tiers", () => {
    const config = parseMcpConfig({
      mcpServers: {
        local: { command: "node", args: ["s.js"], env: { A: "1" }, tiers: { add: "LOW", "*": "MEDIUM" } },
        remote: {
          url: "https://mcp.example.com/mcp",
          headers: { Authorization: "Bearer x" },
          disabled: false,
        },
      },
    });
    expect(config.servers.local).toMatchObject({ kind: "stdio", command: "node", args: ["s.js"] });
    expect(config.servers.remote).toMatchObject({ kind: "http", url: "https://mcp.example.com/mcp" });
  });

  it.each([
    ["not an object", [], /mcpServers/],
    ["no mcpServers", { servers: {} }, /mcpServers/],
    [
      "neither command nor url",
      { mcpServers: { x: { args: [] } } },
      /mcpServers\.x: needs "command" \(a stdio server\) or "url"/,
    ],
    ["args not a list", { mcpServers: { x: { command: "node", args: "s.js" } } }, /mcpServers\.x\.args/],
    [
      "env values not strings",
      { mcpServers: { x: { command: "node", env: { A: 1 } } } },
      /mcpServers\.x\.env\.A/,
    ],
    ["a bad URL", { mcpServers: { x: { url: "not a url" } } }, /mcpServers\.x\.url/],
    ["a non-http URL", { mcpServers: { x: { url: "file:///etc/passwd" } } }, /mcpServers\.x\.url/],
    [
      "an unknown tier",
      { mcpServers: { x: { command: "node", tiers: { add: "SAFE" } } } },
      /mcpServers\.x\.tiers\.add/,
    ],
    ["a bad server name", { mcpServers: { "a b": { command: "node" } } }, /server names may use/],
  ])("refuses %s with a clear error", (_label, value, message) => {
    expect(() => parseMcpConfig(value, "test.json")).toThrow(McpConfigError);
    expect(() => parseMcpConfig(value, "test.json")).toThrow(message);
    expect(() => parseMcpConfig(value, "test.json")).toThrow(/invalid MCP config test\.json/);
  });

  it("explains a missing file and a file that is not JSON", async () => {
    await expect(readMcpConfig(path.join(dir, "nope.json"))).rejects.toThrow(
      /cannot read MCP config .*nope\.json/,
    );
    const broken = await configFile("broken.json", "{ mcpServers: ");
    await expect(readMcpConfig(broken)).rejects.toThrow(/is not valid JSON/);
    await expect(loadMcpTools(broken)).rejects.toBeInstanceOf(McpConfigError);
  });
});

describe("loadMcpTools with a real stdio MCP server", () => {
  it("loads the tools with their tiers, runs them as PlanTools and closes", async () => {
    const file = await configFile("mcp.json", {
      mcpServers: { math: stdioServer({ tiers: { add: "LOW", shot: "LOW" }, timeoutMs: 10_000 }) },
    });
    const loaded = await loadMcpTools(file);
    try {
      expect(loaded.tools.map((t) => t.name).sort()).toEqual(["add", "fail", "shout"]);
      const add = toolNamed(loaded.tools, "add");
      const shout = toolNamed(loaded.tools, "shout");
      expect(add.risk).toBe("LOW");
      // Not named in tiers, so HIGH.
      expect(shout.risk).toBe("HIGH");
      expect(add.timeoutMs).toBe(10_000);
      expect(add.description).toBe('Add two numbers. (MCP server "math")');
      // The misspelt tier entry is reported.
      expect(loaded.warnings).toEqual([
        'mcpServers.math.tiers names "shot", which the server does not offer',
      ]);

      // The MCP input schema validates args and reaches the planner prompt.
      expect(add.schema.safeParse({ a: 1, b: 2 }).success).toBe(true);
      expect(add.schema.safeParse({ a: "1", b: 2 }).success).toBe(false);
      const prompt = new ToolRegistry(loaded.tools).describeForPrompt();
      expect(prompt).toContain("- add(a: number, b: number) [LOW]: Add two numbers.");
      expect(prompt).toContain("    a: First addend");

      await expect(runTool(add, { a: 2, b: 40 })).resolves.toBe("42");
      await expect(runTool(shout, { text: "hello" })).resolves.toBe("HELLO!");
      await expect(runTool(toolNamed(loaded.tools, "fail"), {})).rejects.toThrow(/this tool always fails/);
    } finally {
      await loaded.close();
    }
  });

  it("applies a server-wide tier with '*' and prefixes names on request", async () => {
    const file = await configFile("mcp-star.json", {
      mcpServers: { m: stdioServer({ tiers: { "*": "MEDIUM", add: "LOW" } }) },
    });
    const loaded = await loadMcpTools(file, { prefixToolNames: true });
    try {
      expect(Object.fromEntries(loaded.tools.map((t) => [t.name, t.risk]))).toEqual({
        m__add: "LOW",
        m__shout: "MEDIUM",
        m__fail: "MEDIUM",
      });
      await expect(runTool(toolNamed(loaded.tools, "m__add"), { a: 1, b: 1 })).resolves.toBe("2");
    } finally {
      await loaded.close();
    }
  });

  it("refuses two servers offering a tool of the same name unless names are prefixed", async () => {
    const file = await configFile("mcp-two.json", { mcpServers: { one: stdioServer(), two: stdioServer() } });
    await expect(loadMcpTools(file)).rejects.toThrow(/"one" and "two" both offer a tool "add"/);
  });

  it("fails clearly when a server cannot start", async () => {
    const file = await configFile("mcp-bad.json", {
      mcpServers: { ghost: { command: path.join(dir, "no-such-server") } },
    });
    await expect(loadMcpTools(file)).rejects.toThrow(/cannot load MCP tools from .*mcp-bad\.json/);
  });
});
