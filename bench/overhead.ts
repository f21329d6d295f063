/**
 * Framework overhead: CPU time per step of a plan whose tools do no work, at N = 10, 50 and 200
 * steps, for this agent (executor, evaluator, synthesizer and their checkpoints), for plain
 * promises (no framework), and for a LangGraph graph with one `Send` per step per wave.
 *
 *   npx tsx bench/overhead.ts
 */
import { setMaxListeners } from "node:events";
import { pathToFileURL } from "node:url";
import {
  agentWithPlan,
  cpuMicros,
  median,
  planShape,
  runPromises,
  waveGraph,
  type Shape,
} from "./harness.js";

export interface OverheadRow {
  shape: Shape;
  n: number;
  /** Median CPU µs per step over the repetitions. */
  agent: number;
  promises: number;
  waves: number;
}

const output = (id: string) => id;

// The Send-per-wave baseline runs a whole wave (up to N tasks) in one superstep, and LangGraph adds
// one abort listener per task to a signal of its own run loop, which no node can reach: without a
// higher default, Node warns of a leak there (this agent raises its own, see allowStepListeners).
setMaxListeners(1_000);

export async function measureOverhead(
  options: { sizes?: number[]; shapes?: Shape[]; reps?: number } = {},
): Promise<OverheadRow[]> {
  const sizes = options.sizes ?? [10, 50, 200];
  const shapes = options.shapes ?? ["random", "chain"];
  const reps = options.reps ?? 3;
  // Warm-up: the first run of each kind pays for JIT compilation and lazy imports.
  for (const shape of shapes) {
    const nodes = planShape(shape, 20);
    await (
      await agentWithPlan(nodes, output, undefined, `warm-${shape}`)
    )();
    await runPromises(nodes, output);
    await waveGraph(nodes, output, undefined, `warm-${shape}`)();
  }
  const rows: OverheadRow[] = [];
  for (const shape of shapes) {
    for (const n of sizes) {
      const nodes = planShape(shape, n);
      const agent: number[] = [];
      const promises: number[] = [];
      const waves: number[] = [];
      // Small plans take milliseconds, so they get more runs to steady the median.
      const times = n <= 50 ? reps * 3 : reps;
      for (let r = 0; r < times; r++) {
        const run = await agentWithPlan(nodes, output, undefined, `agent-${shape}-${n}-${r}`);
        agent.push((await cpuMicros(run)) / n);
        promises.push((await cpuMicros(() => runPromises(nodes, output))) / n);
        waves.push((await cpuMicros(waveGraph(nodes, output, undefined, `waves-${shape}-${n}-${r}`))) / n);
      }
      rows.push({ shape, n, agent: median(agent), promises: median(promises), waves: median(waves) });
    }
  }
  return rows;
}

export function printOverhead(rows: OverheadRow[]): void {
  console.log("shape    N    this agent µs/step  plain promises µs/step  Send-per-wave graph µs/step");
  for (const r of rows) {
    console.log(
      `${r.shape.padEnd(7)} ${String(r.n).padStart(4)}  ${r.agent.toFixed(0).padStart(18)}  ${r.promises.toFixed(1).padStart(22)}  ${r.waves.toFixed(0).padStart(27)}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printOverhead(await measureOverhead());
}
