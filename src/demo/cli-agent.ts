import type { PlanExecuteAgent } from "../agent/agent.js";
import type { UsageByRole } from "../core/state.js";
import { openAIModelProvider } from "../models/provider.js";
import type { Cli } from "../cli/session.js";
import { out, outboxOf, workspaceOf } from "../cli/session.js";
import { UsageError } from "../cli/resume-value.js";
import { createScenarioAgent } from "./agent.js";
import { findScenario, SCENARIOS } from "./index.js";
import { isLocalModelRun, localServerEnv, serveScenario } from "./local-server.js";

/**
 * The agent of a demo thread: the scenario's script, continued where the thread stopped (its
 * `usage` counts the replies already given). A live-local thread (`--live-local` when it started)
 * talks to the scenario's local OpenAI-compatible server through ChatOpenAI.
 */
export async function demoAgent(
  cli: Cli,
  name: string,
  state: { settings?: Record<string, unknown> | null; usage?: UsageByRole },
): Promise<PlanExecuteAgent> {
  const scenario = findScenario(name);
  if (!scenario) {
    throw new UsageError(
      `unknown scenario "${name}"; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  }
  const options = {
    checkpointer: cli.db.saver,
    outbox: outboxOf(cli),
    workspace: workspaceOf(),
    latency: !cli.flags["no-latency"],
    answered: state.usage,
  };
  const live = state.settings ? isLocalModelRun(state.settings) : cli.flags["live-local"];
  if (!live) return createScenarioAgent(scenario, options);
  const server = await serveScenario(scenario, { answered: state.usage, chunkDelayMs: 15 });
  cli.cleanup.push(() => server.close());
  if (!cli.flags.json) out.write(`models: ChatOpenAI → local OpenAI-compatible server ${server.url}\n`);
  return createScenarioAgent(scenario, { ...options, models: openAIModelProvider(localServerEnv(server)) });
}
