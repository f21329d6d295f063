import { parseArgs } from "node:util";
import { SETTING_FLAGS_HELP } from "./settings-flags.js";

/** The bundled offline scenarios, named here so `--help` needs no import of them (a test keeps it true). */
export const SCENARIO_NAMES = ["ratio", "income", "recover", "email", "sales", "review", "search"] as const;

export const USAGE = `Usage: plan-execute <command> [options]
  run "<goal>" [--thread ID] [--approve-plan] [--auto-approve LOW|MEDIUM|HIGH] [settings]
                                            a live goal (needs OPENAI_API_KEY or OPENAI_BASE_URL)
  demo [scenario ...] [--no-latency] [--live-local] [settings]
                                            offline scenarios: ${SCENARIO_NAMES.join(", ")}
                                            (--live-local: through ChatOpenAI and a local OpenAI-compatible server)
  resume <thread> [--approve | --reject "<why>" | --edit '<json>' | --pick NODE] [--step ID] [--stop ID] [--raise KEY=N] [--finish]
  threads | show <thread> | history <thread> | fork <thread> --checkpoint ID [--thread NEW]
  report <thread> [--out report.html] [--svg timeline.svg] [--open] [--json]
                                            a self-contained HTML report: plan graph, timeline, tokens, audit
  (run, demo, resume: --report FILE writes the report when the command ends)
Settings (run, demo): ${SETTING_FLAGS_HELP}
Options: --db FILE (default .plan-execute/checkpoints.sqlite)  --checkpointer postgres://…  --outbox DIR  --json
  --mcp FILE (MCP servers whose tools a live run may use; default PLAN_EXECUTE_MCP_CONFIG)  --wait
Exit codes: 0 finished, 1 the run failed, 2 bad usage or configuration, 3 waiting for approval,
  4 the thread is busy (another run holds it; --wait waits for it).`;

export function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      thread: { type: "string" },
      db: { type: "string" },
      checkpointer: { type: "string" },
      outbox: { type: "string" },
      mcp: { type: "string" },
      report: { type: "string" },
      out: { type: "string" },
      svg: { type: "string" },
      open: { type: "boolean", default: false },
      "approve-plan": { type: "boolean", default: false },
      "auto-approve": { type: "string" },
      "no-latency": { type: "boolean", default: false },
      "live-local": { type: "boolean", default: false },
      approve: { type: "boolean", default: false },
      reject: { type: "string" },
      edit: { type: "string" },
      pick: { type: "string" },
      step: { type: "string" },
      raise: { type: "string", multiple: true },
      finish: { type: "boolean", default: false },
      checkpoint: { type: "string" },
      stop: { type: "string" },
      wait: { type: "boolean", default: false },
      set: { type: "string", multiple: true },
      "max-tokens": { type: "string" },
      "max-cost-usd": { type: "string" },
      "max-steps-executed": { type: "string" },
      "max-wall-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

export type Flags = ReturnType<typeof parseFlags>["values"];
