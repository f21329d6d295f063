import { randomUUID } from "node:crypto";
import { findScenario, SCENARIOS } from "../../demo/index.js";
import { localModelSettings } from "../../demo/local-server.js";
import { UsageError } from "../resume-value.js";
import {
  agentFor,
  drive,
  exclusive,
  out,
  refuseUnfinished,
  runContext,
  workspaceOf,
  type Cli,
} from "../session.js";

/** `demo [scenario …]`: the bundled offline scenarios on scripted models and real tools. */
export default async function demo(cli: Cli, names: string[]): Promise<number> {
  const scenarios = names.length ? names.map(scenarioByName) : [...SCENARIOS];
  let worst = 0;
  for (const scenario of scenarios) {
    const threadId =
      names.length === 1 && cli.flags.thread
        ? cli.flags.thread
        : `demo-${scenario.name}-${randomUUID().slice(0, 8)}`;
    if (!cli.flags.json)
      out.write(`\n━━ ${scenario.name}: ${scenario.title}\nGoal: ${scenario.goal}\nthread ${threadId}\n\n`);
    // The thread is marked as this scenario's in its stored settings, so a resume finds its script.
    const context = {
      ...scenario.context,
      ...(cli.flags["live-local"] ? localModelSettings() : {}),
      ...runContext(cli.flags),
      demoScenario: scenario.name,
    };
    const code = await exclusive(cli, threadId, async (lease) => {
      await refuseUnfinished(cli, threadId);
      await scenario.prepare?.(workspaceOf());
      const agent = await agentFor(cli, {}, scenario.name);
      return drive(cli, lease, agent, { goal: scenario.goal }, threadId, context);
    });
    worst = Math.max(worst, code);
  }
  return worst;
}

function scenarioByName(name: string) {
  const scenario = findScenario(name);
  if (!scenario)
    throw new UsageError(
      `unknown scenario "${name}"; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  return scenario;
}
