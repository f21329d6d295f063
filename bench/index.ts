/**
 * The benchmark suite: every measure next to its baseline, in one run.
 *
 *   npm run bench             # the full run: writes bench/results/*.json, *.svg and BENCHMARKS.md
 *   npm run bench -- --quick  # a short run (CI): writes to bench/results/quick/, asserts only the makespan bound
 *
 * Measures: makespan ÷ critical path (this executor, waves, one step at a time); end-to-end latency
 * with the streaming planner on and off (seeded DAGs, a planner that writes at a set token rate); input and output
 * tokens against a ReAct agent per demo scenario; framework CPU per step at N = 10/50/200 (this
 * agent, plain promises, a Send-per-wave graph); SQLite checkpoint bytes ÷ step-output bytes (this
 * agent, the wave graph); CLI start-up CPU per command (against `node -e 0`); plan search: success
 * rate and planner tokens for k = 1, 2, 3 candidates, UCT against best-first, on seeded synthetic tasks.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { barChart } from "./chart.js";
import { measureCheckpoints, printCheckpoints, type CheckpointRow } from "./checkpoint.js";
import { measureCli, printCli, type CliRow } from "./cli.js";
import { median } from "./harness.js";
import {
  checkMakespan,
  MAKESPAN_TARGET,
  measureMakespan,
  printMakespan,
  type MakespanResult,
} from "./makespan.js";
import { measureOverhead, printOverhead, type OverheadRow } from "./overhead.js";
import {
  measureCandidateCalls,
  measureSearch,
  printSearch,
  searchSection,
  type CandidateCallTokens,
  type SearchRow,
} from "./search.js";
import { measureStreaming, printStreaming, STREAMING_TARGET, type StreamingResult } from "./streaming.js";
import { measureTokens, printTokens, type TokenRow } from "./tokens.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  /** 1-minute load average when the run started: other work on the machine skews CPU and wall times. */
  loadAtStart: number;
  commit: string;
  quick: boolean;
}

function machine(quick: boolean): Machine {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: ROOT,
      encoding: "utf8",
    }).trim();
    if (dirty) commit += " (with uncommitted changes)";
  } catch {
    // Not a git checkout (an installed package): the commit stays unknown.
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAtStart: os.loadavg()[0] ?? 0,
    commit,
    quick,
  };
}

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  console.log(`\n━━ ${name}`);
  const result = await fn();
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, out: { type: "string" } },
  });
  const quick = values.quick;
  const out = path.resolve(values.out ?? path.join(ROOT, quick ? "bench/results/quick" : "bench/results"));
  const info = machine(quick);
  const started = performance.now();

  const makespan = await timed("makespan ÷ critical path", async () => {
    const result = await measureMakespan({ dags: quick ? 5 : 20 });
    printMakespan(result);
    return result;
  });
  const streaming = await timed("streaming planner: on vs off", async () => {
    // Every step LOW (read-only, the plans this is for), then a quarter of the steps MEDIUM. The quick
    // run writes at 400 tokens/s with steps a quarter as long: the same proportions in a quarter of the time.
    const pace = quick ? { tokensPerSecond: 400, scale: 0.25 } : { tokensPerSecond: 100, scale: 1 };
    const low = await measureStreaming({ dags: quick ? 3 : 6, ...pace });
    printStreaming(low);
    const medium = await measureStreaming({ dags: quick ? 2 : 4, medium: 0.25, ...pace });
    printStreaming(medium);
    return { low, medium };
  });
  const tokens = await timed("tokens: this agent vs ReAct", async () => {
    // The quick run leaves out the "before" variant (the tool list as JSON schemas).
    const rows = await measureTokens({ schema: !quick });
    printTokens(rows);
    return rows;
  });
  const overhead = await timed("framework overhead", async () => {
    const rows = await measureOverhead({ reps: quick ? 1 : 5 });
    printOverhead(rows);
    return rows;
  });
  const checkpoints = await timed("checkpoint bytes", async () => {
    const rows = await measureCheckpoints();
    printCheckpoints(rows);
    return rows;
  });
  const cli = await timed("CLI start-up", async () => {
    const rows = await measureCli({ reps: quick ? 1 : 3 });
    printCli(rows);
    return rows;
  });
  const search = await timed("plan search: k candidates, UCT vs best-first", async () => {
    const rows = await measureSearch({ tasks: quick ? 20 : 100 });
    const calls = measureCandidateCalls();
    printSearch(rows, calls);
    return { rows, calls };
  });
  const seconds = (performance.now() - started) / 1000;

  await mkdir(out, { recursive: true });
  const save = (name: string, data: unknown) =>
    writeFormatted(path.join(out, `${name}.json`), JSON.stringify({ machine: info, data }));
  await Promise.all([
    save("makespan", makespan),
    save("streaming", streaming),
    save("tokens", tokens),
    save("overhead", overhead),
    save("checkpoint", checkpoints),
    save("cli", cli),
    save("search", search),
  ]);
  const charts = renderCharts({ makespan, streaming, tokens, overhead, checkpoints, cli, search });
  await Promise.all(
    Object.entries(charts).map(([name, svg]) => writeFile(path.join(out, `${name}.svg`), svg)),
  );
  const markdownFile = quick ? path.join(out, "BENCHMARKS.md") : path.join(ROOT, "BENCHMARKS.md");
  const chartDir = path.relative(path.dirname(markdownFile), out).split(path.sep).join("/") || ".";
  await writeFormatted(
    markdownFile,
    renderMarkdown({
      info,
      seconds,
      chartDir,
      makespan,
      streaming,
      tokens,
      overhead,
      checkpoints,
      cli,
      search,
    }),
  );
  console.log(
    `\nwrote ${path.relative(ROOT, out)}/*.json, *.svg and ${path.relative(ROOT, markdownFile)} in ${seconds.toFixed(0)} s`,
  );

  // The one assertion: the executor's makespan bound, as `bench:makespan` has always held it.
  if (!checkMakespan(makespan)) process.exitCode = 1;
}

/** Writes `text` as the project's prettier settings format it, so that `prettier --check .` passes. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const prettier = await import("prettier");
  const options = await prettier.resolveConfig(file);
  await writeFile(file, await prettier.format(text, { ...options, filepath: file }));
}

interface Results {
  makespan: MakespanResult;
  streaming: { low: StreamingResult; medium: StreamingResult };
  tokens: TokenRow[];
  overhead: OverheadRow[];
  checkpoints: CheckpointRow[];
  cli: CliRow[];
  search: { rows: SearchRow[]; calls: CandidateCallTokens[] };
}

const CHECKPOINT_GRAPHS: Record<CheckpointRow["graph"], string> = {
  agent: "this agent",
  "agent-whole": "this agent, steps saved whole (before the diet)",
  waves: "Send-per-wave graph",
};

const SERIES = {
  makespan: ["this executor", "waves", "one step at a time"],
  streaming: ["planStreaming off", "planStreaming on"],
  tokens: ["ReAct", "this agent, schema tool list", "this agent, lean prompt"],
  overhead: ["this agent", "plain promises", "Send-per-wave graph"],
  checkpoint: ["this agent", "this agent, steps saved whole (before)", "Send-per-wave graph"],
};

function renderCharts(r: Results): Record<string, string> {
  const fixed = (digits: number) => (v: number) => v.toFixed(digits);
  return {
    makespan: barChart({
      title: "Makespan ÷ critical path",
      subtitle: `${r.makespan.rows.length} seeded random DAGs with a 600 ms straggler; 1.00 is the best any scheduler can do`,
      series: SERIES.makespan,
      groups: r.makespan.rows.map((row) => ({
        label: `seed ${row.seed} (${row.steps} steps)`,
        values: [row.executor, row.waves, row.sequential],
      })),
      format: fixed(2),
      marker: { value: 1, label: "critical path" },
    }),
    streaming: barChart({
      title: "End-to-end latency: streaming planner off and on",
      subtitle: `seconds per run; the planner writes ${r.streaming.low.tokensPerSecond} tokens/s; all-LOW DAGs, then DAGs with a quarter MEDIUM`,
      series: SERIES.streaming,
      groups: [
        ...r.streaming.low.rows.map((row) => ({
          label: `seed ${row.seed}`,
          values: [row.off.totalMs / 1000, row.on.totalMs / 1000],
        })),
        ...r.streaming.medium.rows.map((row) => ({
          label: `seed ${row.seed}, ${row.mediumSteps} MEDIUM`,
          values: [row.off.totalMs / 1000, row.on.totalMs / 1000],
        })),
      ],
      format: fixed(2),
    }),
    tokens: barChart({
      title: "Input tokens per scenario",
      subtitle: "o200k_base tokens of the requests ChatOpenAI sent to the local server",
      series: SERIES.tokens,
      groups: r.tokens.map((row) => ({
        label: row.scenario,
        values: [row.react.input, row.schema.input, row.lean.input],
      })),
      format: (v) => v.toLocaleString("en-US", { maximumFractionDigits: 0 }),
    }),
    overhead: barChart({
      title: "Framework CPU per step",
      subtitle: "µs of CPU per plan step with tools that do no work (log scale)",
      series: SERIES.overhead,
      groups: r.overhead.map((row) => ({
        label: `${row.shape}, N = ${row.n}`,
        values: [row.agent, row.promises, row.waves],
      })),
      format: (v) => (v >= 10 ? v.toFixed(0) : v.toFixed(1)),
      log: true,
    }),
    checkpoint: barChart({
      title: "SQLite checkpoint bytes ÷ step-output bytes",
      subtitle: "50 steps × 10 KB outputs; the database file after a WAL checkpoint",
      series: SERIES.checkpoint,
      groups: (["random", "chain", "approval+replan"] as const).map((shape) => ({
        label: shape === "approval+replan" ? "random plan, an approval and a replan" : `${shape} plan`,
        values: (["agent", "agent-whole", "waves"] as const).map(
          (graph) => r.checkpoints.find((c) => c.shape === shape && c.graph === graph)?.ratio ?? NaN,
        ),
      })),
      format: (v) => `${v.toFixed(1)}×`,
      marker: { value: 1, label: "output bytes" },
    }),
    cli: barChart({
      title: "CLI start-up: CPU per command",
      subtitle: "ms of CPU (user + system) of one `node bin/plan-execute.js …` process",
      series: ["CPU ms"],
      groups: r.cli.map((row) => ({ label: row.command, values: [row.cpuMs] })),
      format: fixed(0),
    }),
  };
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

const n0 = (v: number) =>
  Number.isFinite(v) ? v.toLocaleString("en-US", { maximumFractionDigits: 0 }) : "–";
const x2 = (v: number) => `${v.toFixed(2)}×`;
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
const secs = (ms: number) => (ms / 1000).toFixed(2);

function streamingTable(result: StreamingResult): string {
  return table(
    [
      "seed",
      "steps (MEDIUM)",
      "plan chars",
      "critical path (s)",
      "off: plan / total (s)",
      "on: plan / total (s)",
      "speedup",
    ],
    result.rows.map((row) => [
      row.seed,
      `${row.steps} (${row.mediumSteps})`,
      n0(row.planChars),
      secs(row.criticalPathMs),
      `${secs(row.off.planMs)} / ${secs(row.off.totalMs)}`,
      `${secs(row.on.planMs)} / ${secs(row.on.totalMs)}`,
      `**${x2(row.speedup)}**`,
    ]),
  );
}

function renderMarkdown(r: Results & { info: Machine; seconds: number; chartDir: string }): string {
  const { info } = r;
  const img = (name: string, alt: string) => `![${alt}](${r.chartDir}/${name}.svg)`;
  const ratios = r.tokens.map((t) => t.inputRatio);
  const minRatio = Math.min(...ratios);
  const medRatio = median(ratios);
  // Like for like: the scenarios that turn the critic on, measured with it off (the ReAct loop has none).
  const likeRatios = r.tokens.map((t) => t.react.input / (t.leanNoCritic ?? t.lean).input);
  const withCritic = r.tokens.filter((t) => t.leanNoCritic);
  const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
  const sales = r.tokens.find((t) => t.scenario === "sales");
  const cliBase = r.cli[0]?.cpuMs ?? 0;
  const agentAt = (shape: string, n: number) => r.overhead.find((o) => o.shape === shape && o.n === n);
  const versusWaves = (shape: "random" | "chain") => {
    const at = agentAt(shape, 200);
    return at ? at.agent / at.waves : NaN;
  };
  const agentCheckpoint = r.checkpoints.find((c) => c.graph === "agent" && c.shape === "random");
  const approvalCheckpoint = r.checkpoints.find((c) => c.graph === "agent" && c.shape === "approval+replan");
  const worstCheckpoint = Math.max(...r.checkpoints.filter((c) => c.graph === "agent").map((c) => c.ratio));
  const marginal = (shape: "random" | "chain") => {
    const a = agentAt(shape, 10);
    const b = agentAt(shape, 200);
    return a && b ? (b.agent * 200 - a.agent * 10) / 190 : NaN;
  };
  return `# Benchmarks

Generated by \`npm run bench${info.quick ? " -- --quick" : ""}\` on ${info.date.slice(0, 10)} (${r.seconds.toFixed(0)} s), commit ${info.commit}.
Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGb} GB, ${info.os}, Node ${info.node}; 1-minute load
average ${info.loadAtStart.toFixed(2)} at the start. CPU and wall times move with other work on the machine; the
ratios between a measure and its baseline, taken in the same run, move much less.

Every measure runs side by side with its baseline in the same process. Raw numbers: \`bench/results/*.json\`.

## Makespan ÷ critical path

Seeded random DAGs (8–14 steps of 20–120 ms, one 600 ms straggler) run through the whole graph (planner → executor
→ evaluator → synthesizer on scripted models), through a wave-at-a-time baseline (each dependency level waits for
the slowest step of the level above) and one step at a time. Makespan is divided by the critical path.

${table(
  ["seed", "steps", "critical path (ms)", ...SERIES.makespan],
  r.makespan.rows.map((row) => [
    row.seed,
    row.steps,
    row.bound,
    row.executor.toFixed(3),
    row.waves.toFixed(3),
    row.sequential.toFixed(3),
  ]),
)}
| **mean** | | | **${r.makespan.mean.executor.toFixed(3)}** | ${r.makespan.mean.waves.toFixed(3)} | ${r.makespan.mean.sequential.toFixed(3)} |
| max | | | ${r.makespan.max.executor.toFixed(3)} | ${r.makespan.max.waves.toFixed(3)} | ${r.makespan.max.sequential.toFixed(3)} |

The bound CI holds the executor to: makespan ÷ the critical path of the durations its steps really took (a busy
machine wakes timers late, which lengthens steps and baselines alike; what the executor adds is the time between a
step's last dependency ending and the step starting), mean ≤ ${MAKESPAN_TARGET}: ${r.makespan.mean.executorMeasured.toFixed(3)}
(${verdict(r.makespan.mean.executorMeasured <= MAKESPAN_TARGET)}).

${img("makespan", "Makespan ÷ critical path per DAG")}

## Streaming planner

End-to-end latency (input to final state) of the same run with \`planStreaming\` off and on, one after the other in
the same process, on seeded DAGs of 8–14 steps of ${0.5 * r.streaming.low.scale}–${3 * r.streaming.low.scale} s each (up to two dependencies each). The
planner is a scripted model that writes the plan at ${r.streaming.low.tokensPerSecond} tokens/s (four characters a token),
streamed with the setting on; off, the call answers after the time the whole plan takes to write, as a real model
would. "plan" is the time to the \`plan_created\` event: with streaming on it also waits for the steps that started
early, because the planner node runs them (see docs/architecture.md).

${streamingTable(r.streaming.low)}

Every step LOW: median speedup **${x2(r.streaming.low.medianSpeedup)}** (target ≥ ${STREAMING_TARGET}× where planning is ≥ 30% of
the run: ${verdict(r.streaming.low.medianSpeedup >= STREAMING_TARGET)}; planning was at least ${pct(r.streaming.low.minPlanShare)} of every unstreamed run).

A quarter of the steps MEDIUM (they, and every step after one, wait for the whole plan, and for the early steps to
finish):

${streamingTable(r.streaming.medium)}

Median speedup ${x2(r.streaming.medium.medianSpeedup)}: the streaming planner helps read-only plans; a plan whose
critical path runs through MEDIUM or HIGH steps gains little.

${img("streaming", "End-to-end latency with the streaming planner off and on")}

## Tokens: this agent against a ReAct agent

Each bundled demo scenario runs three times through \`ChatOpenAI\` against a local OpenAI-compatible server, which
records every request body and answer: this agent with the lean planner prompt, this agent with the tool list
rendered as before it (JSON schemas; the rest of the prompt as now), and a ReAct agent (\`createReactAgent\` from
\`@langchain/langgraph/prebuilt\`) with the same tools, scripted to make the same tool calls as this agent and to give
the same final answer. Tokens are counted with o200k_base (js-tiktoken): per message 3 + role + content (+ tool-call
names and arguments), 3 per request, plus the tool definitions and the response format as the JSON sent.

The ReAct script favours the baseline: independent calls go out as parallel tool calls of one turn; work this agent
gives a model step (\`llm\`, \`summarize\`) the ReAct model does itself inside its next message, at no extra request;
it gets no system prompt; and where this agent passes a load_csv step's rows by reference, ReAct passes the file's
\`path\` instead of copying the rows. Both read a tool's result in the same rendering (the tool's \`promptText\`:
search results one line each, tables as CSV), so the comparison is of the two loops, not of two renderings. This
agent's prompts show step outputs that way, cut to 2,000 characters, and an output a later step took up to 400 in the
synthesizer's, the answer review's and the replanner's prompts (\`promptOutputChars\`, \`usedOutputChars\`); a
search result or an output that a prompt already showed whole is pointed back to rather than sent again
(\`stepBlocks\`), and the plan, verdict and answer-review schemas leave what their system prompts explain unsaid.

The scenarios ${withCritic.map((t) => `\`${t.scenario}\``).join(", ")} turn on the LLM critic and the answer review
(\`critic: "llm_steps"\`), which the ReAct loop does not have; each also runs with \`critic: "off"\` (same plan, no
critique, revision or answer review), the work the ReAct baseline does.

${table(
  [
    "scenario",
    "ReAct: input / output (requests)",
    "this agent, schema tool list",
    "this agent, lean prompt",
    "ReAct ÷ lean (input)",
    "ReAct ÷ schema (input)",
    "critic off: input (requests), ReAct ÷",
    "plan tools listed by name only",
  ],
  r.tokens.map((t) => [
    t.scenario,
    `${n0(t.react.input)} / ${n0(t.react.output)} (${t.react.requests})`,
    `${n0(t.schema.input)} / ${n0(t.schema.output)} (${t.schema.requests})`,
    `${n0(t.lean.input)} / ${n0(t.lean.output)} (${t.lean.requests})`,
    `**${x2(t.inputRatio)}**`,
    x2(t.inputRatioSchema),
    t.leanNoCritic
      ? `${n0(t.leanNoCritic.input)} (${t.leanNoCritic.requests}), ${x2(t.react.input / t.leanNoCritic.input)}`
      : "–",
    t.nameOnly.join(", ") || "–",
  ]),
)}

Input tokens, ReAct ÷ this agent: minimum ${x2(minRatio)} (target ≥ 3× on every scenario: ${verdict(minRatio >= 3)}),
median ${x2(medRatio)} (target ≥ 5×: ${verdict(medRatio >= 5)}). Like for like (critic off where a scenario turns it
on): minimum ${x2(Math.min(...likeRatios))} (${verdict(Math.min(...likeRatios) >= 3)}), median ${x2(median(likeRatios))}
(${verdict(median(likeRatios) >= 5)}). Output tokens are higher for this agent: a plan is a longer answer than a tool
call.

Where the scenarios with the critic on miss: the critic and the answer review add requests (critiques, revisions,
reviews, and the replan and rewrite a review sends back) that carry the inputs they check facts against — ${withCritic
    .map((t) => {
      const off = t.leanNoCritic ?? t.lean;
      return `\`${t.scenario}\` ${t.lean.requests - off.requests} requests, ${n0(t.lean.input - off.input)} of its ${n0(
        t.lean.input,
      )} input tokens (3× would need ${n0(t.react.input / 3)} in all)`;
    })
    .join("; ")}. The ReAct loop checks nothing, so those requests have no counterpart there.
${
  sales
    ? `If the ReAct model copied the rows into its calls, as the plan's references literally resolve, sales would cost it
${n0(sales.reactRowsCopied.input)} input and ${n0(sales.reactRowsCopied.output)} output tokens
(${x2(sales.reactRowsCopied.input / sales.lean.input)} this agent's input).`
    : ""
}

The planner's system prompt (first planner request):

${table(
  ["scenario", "system prompt, schema tool list", "of which tools", "system prompt, lean", "of which tools"],
  r.tokens.map((t) => [
    t.scenario,
    n0(t.schema.plannerSystem),
    n0(t.schema.plannerTools),
    n0(t.lean.plannerSystem),
    n0(t.lean.plannerTools),
  ]),
)}

The demo agent has 13 tools, more than the 12 a planner prompt shows whole: the lean prompt shows the pinned tools
(calculator, llm) and up to 6 that rank best against the goal (BM25) with their signatures, and lists the others by
name. A plan may still use a name-only tool; if its arguments are wrong, the repair round shows its signature. The
scenarios' plans are scripted, so a tool listed by name only costs nothing here; a real model might spend a repair
round on it.

${img("tokens", "Input tokens per scenario")}

## Framework overhead

Plans of N steps whose tool does no work, in two shapes: \`random\` (each step depends on up to two of the eight
before it) and \`chain\`. This agent runs the plan from the planner's update (\`updateState(…, "planner")\`, so N may
exceed the planner's 100-step limit) through executor, evaluator and synthesizer with a MemorySaver; plain promises
await each step's dependencies; the Send-per-wave graph is a dispatcher node that sends one \`Send("work")\` per
ready step and is called again after each wave. CPU time (\`process.cpuUsage\`, user + system) ÷ N, median of
${info.quick ? "1 run (3 for N ≤ 50)" : "5 runs (15 for N ≤ 50)"} after a warm-up.

${table(
  ["shape", "N", "this agent (µs/step)", "plain promises (µs/step)", "Send-per-wave graph (µs/step)"],
  r.overhead.map((o) => [o.shape, o.n, n0(o.agent), o.promises.toFixed(1), n0(o.waves)]),
)}

Marginal cost of a step for this agent between N = 10 and N = 200: ${n0(marginal("random"))} µs (random),
${n0(marginal("chain"))} µs (chain). At N = 200 it costs ${x2(versusWaves("random"))} the Send-per-wave graph's CPU
per step on the random plan and ${x2(versusWaves("chain"))} on the chain: the wave graph does less (no attempt
log, budgets, evaluator or synthesizer), but a chain gives it one superstep, and one checkpoint, per step.
Where the time goes was not profiled in this run.

${img("overhead", "Framework CPU per step")}

## Checkpoint bytes

50 steps, each returning 10 KB of text, checkpointed with \`SqliteSaver\`: the random and the chain plan, and the
random plan with one HIGH step (the run stops for approval and is resumed with one) and one step that fails and is
replanned. Each runs through this agent, through the same agent with the layout before the checkpoint diet (the
whole \`steps\` map in every checkpoint, the baseline), and the plain plans through the Send-per-wave graph. The
file is measured after \`wal_checkpoint(TRUNCATE)\`; the tables by the length of their blobs.

${table(
  [
    "graph",
    "plan",
    "output",
    "SQLite file",
    "checkpoints table",
    "writes table",
    "checkpoints / writes rows",
    "file ÷ output",
  ],
  r.checkpoints.map((c) => [
    CHECKPOINT_GRAPHS[c.graph],
    c.shape,
    `${n0(c.outputBytes / 1024)} KB`,
    `${n0(c.fileBytes / 1024)} KB`,
    `${n0(c.checkpointBytes / 1024)} KB`,
    `${n0(c.writeBytes / 1024)} KB`,
    `${c.checkpoints} / ${c.writes}`,
    `**${x2(c.ratio)}**`,
  ]),
)}

${
  agentCheckpoint && approvalCheckpoint
    ? `Target: at most 3× the output bytes, with an approval and a replan too: ${x2(worstCheckpoint)} at most here
(${verdict(worstCheckpoint <= 3)}). The checkpoints no longer carry the step records (${x2(agentCheckpoint.checkpointBytes / agentCheckpoint.outputBytes)}
the output bytes for the ${agentCheckpoint.checkpoints} checkpoints of the plain run); the writes hold each output twice
(${x2(agentCheckpoint.writeBytes / agentCheckpoint.outputBytes)}): the step's \`task()\` result, which a resume reads back, and the
executor's patch of \`steps\`, from which state is rebuilt. The rest is SQLite's own pages and indexes. The wave
graph's checkpoints carry the results map of every superstep, so on a chain they grow with the square of the plan's length.`
    : ""
}

${img("checkpoint", "Checkpoint bytes ÷ output bytes")}

## CLI start-up

CPU time of one \`node bin/plan-execute.js …\` process (the compiled \`dist/\`), read from the child's own
\`process.resourceUsage()\` at exit; median of ${info.quick ? 1 : 3} run(s) (\`demo ratio\`, which writes the thread the
later commands read, runs once). \`node -e 0\` is Node's own start-up.

${table(
  ["command", "CPU ms", "CPU ms over node -e 0", "wall ms", "peak RSS MB"],
  r.cli.map((c) => [`\`${c.command}\``, n0(c.cpuMs), n0(c.cpuMs - cliBase), n0(c.wallMs), n0(c.maxRssMb)]),
)}

${img("cli", "CLI start-up CPU per command")}

${searchSection(r.search)}
`;
}

await main();
