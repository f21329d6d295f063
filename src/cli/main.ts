#!/usr/bin/env node
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createPlanExecuteAgent } from "../agent.js";
import { hasLiveModel, readEnv } from "../config/env.js";
import type { PlanExecuteStateType } from "../graph/state.js";
import { createScenarioAgent } from "../scenarios/agent.js";
import { findScenario, SCENARIOS } from "../scenarios/index.js";
import { streamRun } from "./stream.js";

const USAGE = `Usage:
  plan-execute demo [scenario ...] [--json] [--no-latency]   bundled offline scenarios (${SCENARIOS.map((s) => s.name).join(", ")})
  plan-execute run "<goal>" [--thread ID] [--json]           a live goal (needs OPENAI_API_KEY or OPENAI_BASE_URL)`;

/** Exit codes: 0 finished, 1 the run failed, 2 bad usage or configuration. */
export class UsageError extends Error {}

const out = { write: (text: string) => void process.stdout.write(text) };

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      thread: { type: "string" },
      "no-latency": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    out.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  const common = { json: values.json, colors: Boolean(process.stdout.isTTY) && !values.json, out };
  if (command === "demo") return demo(rest, common, !values["no-latency"]);
  if (command === "run") return run(rest.join(" "), values.thread, common);
  throw new UsageError(`unknown command "${command}"\n${USAGE}`);
}

async function demo(
  names: string[],
  common: { json: boolean; colors: boolean; out: typeof out },
  latency: boolean,
) {
  const scenarios = names.length ? names.map(scenarioByName) : [...SCENARIOS];
  let failures = 0;
  for (const scenario of scenarios) {
    if (!common.json) out.write(`\n━━ ${scenario.name}: ${scenario.title}\nGoal: ${scenario.goal}\n\n`);
    const agent = createScenarioAgent(scenario, { latency });
    const state = await streamRun(
      agent,
      { goal: scenario.goal },
      {
        ...common,
        threadId: `demo-${scenario.name}-${randomUUID().slice(0, 8)}`,
        context: scenario.context,
      },
    );
    if (!finished(state)) failures += 1;
  }
  return failures > 0 ? 1 : 0;
}

function scenarioByName(name: string) {
  const scenario = findScenario(name);
  if (!scenario)
    throw new UsageError(
      `unknown scenario "${name}"; choose from ${SCENARIOS.map((s) => s.name).join(", ")}`,
    );
  return scenario;
}

async function run(
  goal: string,
  thread: string | undefined,
  common: { json: boolean; colors: boolean; out: typeof out },
) {
  if (goal.trim() === "") throw new UsageError(`run needs a goal\n${USAGE}`);
  const env = readEnv();
  if (!hasLiveModel(env)) {
    throw new UsageError(
      "no model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server). `plan-execute demo` runs offline.",
    );
  }
  const state = await streamRun(
    createPlanExecuteAgent(),
    { goal },
    { ...common, threadId: thread ?? randomUUID() },
  );
  return finished(state) ? 0 : 1;
}

function finished(state: PlanExecuteStateType): boolean {
  if (state.error) process.stderr.write(`error: ${state.error}\n`);
  return state.error === null && state.finalAnswer !== null;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = usage ? 2 : 1;
  },
);
