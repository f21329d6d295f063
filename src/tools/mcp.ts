import { readFile } from "node:fs/promises";
import path from "node:path";
import type { StructuredToolInterface } from "@langchain/core/tools";
import { MultiServerMCPClient, type ClientConfig } from "@langchain/mcp-adapters";
import { z } from "zod";
import { fromLangChainTool } from "./langchain.js";
import { RISK_TIERS, type PlanTool, type RiskTier } from "./types.js";
import { zodIssueLines } from "../plan/zod-issues.js";

/**
 * mcp.json: the `mcpServers` format other MCP clients use, plus optional `tiers` per server.
 *
 * ```json
 * {
 *   "mcpServers": {
 *     "math": { "command": "node", "args": ["math-server.js"], "env": { "LOG": "0" },
 *               "tiers": { "add": "LOW", "*": "MEDIUM" } },
 *     "docs": { "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer …" },
 *               "tiers": { "lookup": "LOW" } }
 *   }
 * }
 * ```
 *
 * A tool's tier is `tiers[<tool name as the server names it>]`, else `tiers["*"]`, else HIGH.
 */
export class McpConfigError extends Error {
  override name = "McpConfigError";
}

const Tier = z.enum(RISK_TIERS as [RiskTier, ...RiskTier[]]);
const StringMap = z.record(z.string(), z.string());

const common = {
  tiers: z.record(z.string().min(1), Tier).optional(),
  /** Per-step time limit of this server's tools, in ms. */
  timeoutMs: z.number().int().positive().optional(),
};

// Loose objects: other clients' extra keys (e.g. "disabled", "autoApprove") are ignored.
const StdioServer = z.looseObject({
  type: z.literal("stdio").optional(),
  transport: z.literal("stdio").optional(),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: StringMap.optional(),
  cwd: z.string().optional(),
  ...common,
});

const HttpServer = z.looseObject({
  type: z.enum(["http", "sse", "streamable-http", "streamableHttp"]).optional(),
  transport: z.enum(["http", "sse"]).optional(),
  url: z.url({ protocol: /^https?$/ }),
  headers: StringMap.optional(),
  ...common,
});

const ConfigFile = z.object({
  mcpServers: z.record(z.string(), z.record(z.string(), z.unknown())),
});

export type McpServerConfig =
  ({ kind: "stdio" } & z.output<typeof StdioServer>) | ({ kind: "http" } & z.output<typeof HttpServer>);

export interface McpConfig {
  servers: Record<string, McpServerConfig>;
}

function formatIssues(issues: z.core.$ZodIssue[], prefix: (string | number)[] = []): string[] {
  return zodIssueLines(issues, "(root)", prefix).map((line) => `  - ${line}`);
}

/** Validates the parsed content of an mcp.json; `source` names it in errors. */
export function parseMcpConfig(value: unknown, source = "mcp.json"): McpConfig {
  const top = ConfigFile.safeParse(value);
  if (!top.success) {
    throw new McpConfigError(
      `invalid MCP config ${source}:\n${formatIssues(top.error.issues).join("\n")}\n` +
        `expected { "mcpServers": { "<name>": { "command": …, "args": […] } | { "url": … } } }`,
    );
  }
  const servers: Record<string, McpServerConfig> = {};
  const problems: string[] = [];
  for (const [name, raw] of Object.entries(top.data.mcpServers)) {
    const at = ["mcpServers", name];
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      problems.push(
        `  - mcpServers.${JSON.stringify(name)}: server names may use letters, digits, '_' and '-' only`,
      );
    } else if ("command" in raw) {
      const parsed = StdioServer.safeParse(raw);
      if (parsed.success) servers[name] = { kind: "stdio", ...parsed.data };
      else problems.push(...formatIssues(parsed.error.issues, at));
    } else if ("url" in raw) {
      const parsed = HttpServer.safeParse(raw);
      if (parsed.success) servers[name] = { kind: "http", ...parsed.data };
      else problems.push(...formatIssues(parsed.error.issues, at));
    } else {
      problems.push(`  - ${at.join(".")}: needs "command" (a stdio server) or "url" (an HTTP server)`);
    }
  }
  if (problems.length) throw new McpConfigError(`invalid MCP config ${source}:\n${problems.join("\n")}`);
  return { servers };
}

/** Reads and validates an mcp.json file. */
export async function readMcpConfig(configPath: string): Promise<McpConfig> {
  let text: string;
  try {
    text = await readFile(configPath, "utf8");
  } catch (err) {
    throw new McpConfigError(`cannot read MCP config ${configPath}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new McpConfigError(`MCP config ${configPath} is not valid JSON: ${(err as Error).message}`);
  }
  return parseMcpConfig(value, configPath);
}

/** The risk tier the config gives a tool of a server: its own entry, else "*", else HIGH. */
export function tierOf(server: McpServerConfig, toolName: string): RiskTier {
  return server.tiers?.[toolName] ?? server.tiers?.["*"] ?? "HIGH";
}

type Connections = NonNullable<Extract<ClientConfig, { mcpServers: unknown }>["mcpServers"]>;

function connectionsOf(config: McpConfig, baseDir: string): Connections {
  const connections: Connections = {};
  for (const [name, server] of Object.entries(config.servers)) {
    if (server.kind === "stdio") {
      connections[name] = {
        transport: "stdio",
        command: server.command,
        args: server.args,
        // Relative paths in args work from the folder of mcp.json.
        cwd: path.resolve(baseDir, server.cwd ?? "."),
        ...(server.env ? { env: server.env } : {}),
      };
    } else {
      connections[name] = {
        transport: server.type === "sse" || server.transport === "sse" ? "sse" : "http",
        url: server.url,
        ...(server.headers ? { headers: server.headers } : {}),
      };
    }
  }
  return connections;
}

export interface LoadedMcpTools {
  tools: PlanTool[];
  /** Config entries that did not match a tool, e.g. a misspelt name in `tiers` (that tool stays HIGH). */
  warnings: string[];
  /** Closes every connection (and ends stdio server processes). */
  close(): Promise<void>;
}

export interface LoadMcpToolsOptions {
  /** Name tools `<server>__<tool>` so that servers with tools of the same name can be combined. Default false. */
  prefixToolNames?: boolean;
}

/**
 * Connects to every server of an mcp.json (stdio and HTTP, through `@langchain/mcp-adapters`)
 * and returns its tools as PlanTools, HIGH unless the file gives them a tier. Call `close()`
 * when done. A malformed file raises {@link McpConfigError}; a server that cannot be reached
 * fails the whole load (after closing what was opened).
 */
export async function loadMcpTools(
  configPath: string,
  options: LoadMcpToolsOptions = {},
): Promise<LoadedMcpTools> {
  const config = await readMcpConfig(configPath);
  const client = new MultiServerMCPClient({
    mcpServers: connectionsOf(config, path.dirname(path.resolve(configPath))),
    throwOnLoadError: true,
    onConnectionError: "throw",
    prefixToolNameWithServerName: options.prefixToolNames ?? false,
    useStandardContentBlocks: true,
  });
  const close = () => client.close();
  try {
    const tools: PlanTool[] = [];
    const warnings: string[] = [];
    const owner = new Map<string, string>();
    for (const [name, server] of Object.entries(config.servers)) {
      const loaded: StructuredToolInterface[] = await client.getTools(name);
      const prefix = options.prefixToolNames ? `${name}__` : "";
      const own = new Set(loaded.map((t) => t.name.slice(prefix.length)));
      for (const key of Object.keys(server.tiers ?? {})) {
        if (key !== "*" && !own.has(key)) {
          warnings.push(`mcpServers.${name}.tiers names "${key}", which the server does not offer`);
        }
      }
      for (const tool of loaded) {
        const other = owner.get(tool.name);
        if (other !== undefined) {
          throw new McpConfigError(
            `MCP servers "${other}" and "${name}" both offer a tool "${tool.name}"; load with prefixToolNames: true`,
          );
        }
        owner.set(tool.name, name);
        tools.push(
          fromLangChainTool(tool, tierOf(server, tool.name.slice(prefix.length)), {
            descriptionSuffix: `(MCP server "${name}")`,
            ...(server.timeoutMs !== undefined ? { timeoutMs: server.timeoutMs } : {}),
          }),
        );
      }
    }
    return { tools, warnings, close };
  } catch (err) {
    await close().catch(() => undefined);
    if (err instanceof McpConfigError) throw err;
    throw new Error(`cannot load MCP tools from ${configPath}: ${(err as Error).message}`, { cause: err });
  }
}
