/**
 * The only module that reads the environment. Everything else receives these values
 * through the graph's context or through function arguments.
 */
import { parseAllowEntry } from "../tools/allow-hosts.js";

export interface EnvConfig {
  openaiApiKey?: string;
  openaiBaseUrl?: string;
  /** Tavily key: the `search` tool then searches the web (see createDefaultTools' webSearchApiKey). */
  tavilyApiKey?: string;
  models: { planner?: string; executor?: string; evaluator?: string; synthesizer?: string };
  /** Time limit of one model request in ms (OPENAI_TIMEOUT_MS); default 120000. */
  openaiTimeoutMs?: number;
  /** Client retries of a failed model request (OPENAI_MAX_RETRIES); default 3. */
  openaiMaxRetries?: number;
  /** PostgreSQL URL for the checkpointer (the CLI's --checkpointer overrides it). */
  databaseUrl?: string;
  /** Folder the file and data tools are confined to (PLAN_EXECUTE_WORKSPACE). */
  workspace?: string;
  /** Origins http_get may fetch from (`[scheme://]host[:port]`), comma-separated in PLAN_EXECUTE_ALLOW_HOSTS. */
  allowHosts?: string[];
  /** Folder send_email writes its .eml files to (PLAN_EXECUTE_OUTBOX). */
  outbox?: string;
  /** An mcp.json whose servers' tools live runs may use (PLAN_EXECUTE_MCP_CONFIG). */
  mcpConfig?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

/** A whole number of at least `min`, or undefined when unset; anything else is a configuration error. */
function count(env: NodeJS.ProcessEnv, name: string, min: number): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new EnvConfigError(`${name} must be a whole number of at least ${min} (got "${raw}")`);
  }
  return value;
}

/** PLAN_EXECUTE_ALLOW_HOSTS as entries, each checked here so that a bad one is a configuration error. */
function allowHosts(raw: string | undefined): string[] | undefined {
  const entries = nonEmpty(raw)
    ?.split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (const entry of entries ?? []) {
    try {
      parseAllowEntry(entry);
    } catch (err) {
      throw new EnvConfigError(`PLAN_EXECUTE_ALLOW_HOSTS: ${(err as Error).message}`);
    }
  }
  return entries;
}

/** An environment variable holds a value that cannot work. */
export class EnvConfigError extends Error {
  override name = "EnvConfigError";
}

/** Reads the variables documented in .env.example. Call once at start-up, not per node. */
export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  return {
    openaiApiKey: nonEmpty(env.OPENAI_API_KEY),
    openaiBaseUrl: nonEmpty(env.OPENAI_BASE_URL),
    tavilyApiKey: nonEmpty(env.TAVILY_API_KEY),
    openaiTimeoutMs: count(env, "OPENAI_TIMEOUT_MS", 1),
    openaiMaxRetries: count(env, "OPENAI_MAX_RETRIES", 0),
    databaseUrl: nonEmpty(env.DATABASE_URL),
    workspace: nonEmpty(env.PLAN_EXECUTE_WORKSPACE),
    allowHosts: allowHosts(env.PLAN_EXECUTE_ALLOW_HOSTS),
    outbox: nonEmpty(env.PLAN_EXECUTE_OUTBOX),
    mcpConfig: nonEmpty(env.PLAN_EXECUTE_MCP_CONFIG),
    models: {
      planner: nonEmpty(env.PLANNER_MODEL),
      executor: nonEmpty(env.EXECUTOR_MODEL),
      evaluator: nonEmpty(env.EVALUATOR_MODEL),
      synthesizer: nonEmpty(env.SYNTHESIZER_MODEL),
    },
  };
}

/** True when a live model endpoint is configured (a key, or a base URL of a keyless local server). */
export function hasLiveModel(config: EnvConfig): boolean {
  return config.openaiApiKey !== undefined || config.openaiBaseUrl !== undefined;
}
