/**
 * Checkpoint size: a 50-step plan whose steps each return 10 KB, checkpointed in SQLite, for this
 * agent and for a `Send`-per-wave graph. Reported as bytes stored ÷ bytes of step output: the file
 * (after a WAL checkpoint), the `checkpoints` table (checkpoint + metadata blobs) and the `writes`
 * table (pending-write values).
 *
 *   npx tsx bench/checkpoint.ts
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { agentWithPlan, planShape, waveGraph, type Shape } from "./harness.js";

export interface CheckpointRow {
  graph: "agent" | "waves";
  shape: Shape;
  steps: number;
  outputBytes: number;
  fileBytes: number;
  checkpointBytes: number;
  writeBytes: number;
  checkpoints: number;
  writes: number;
  /** fileBytes ÷ outputBytes. */
  ratio: number;
}

const OUTPUT_BYTES = 10 * 1024;

/** 10 KB of text that differs from step to step (SQLite stores blobs uncompressed either way). */
function output(id: string): string {
  const unit = `${id}:`;
  let text = "";
  let i = 0;
  while (text.length < OUTPUT_BYTES) text += `${unit}${(i++ * 7919) % 100_003} `;
  return text.slice(0, OUTPUT_BYTES);
}

async function measureOne(graph: "agent" | "waves", shape: Shape, steps: number): Promise<CheckpointRow> {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-checkpoint-"));
  const file = path.join(dir, "checkpoints.sqlite");
  const saver = SqliteSaver.fromConnString(file);
  try {
    const nodes = planShape(shape, steps);
    const run =
      graph === "agent" ? await agentWithPlan(nodes, output, saver) : waveGraph(nodes, output, saver);
    await run();
    const db = saver.db;
    db.pragma("wal_checkpoint(TRUNCATE)");
    const one = (sql: string) => Number((db.prepare(sql).get() as { n: number | null }).n ?? 0);
    const row = {
      checkpointBytes: one("SELECT SUM(LENGTH(checkpoint) + LENGTH(metadata)) AS n FROM checkpoints"),
      writeBytes: one("SELECT SUM(LENGTH(value)) AS n FROM writes"),
      checkpoints: one("SELECT COUNT(*) AS n FROM checkpoints"),
      writes: one("SELECT COUNT(*) AS n FROM writes"),
    };
    db.close();
    const fileBytes = (await stat(file)).size;
    const outputBytes = steps * OUTPUT_BYTES;
    return { graph, shape, steps, outputBytes, fileBytes, ...row, ratio: fileBytes / outputBytes };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function measureCheckpoints(
  options: { steps?: number; shapes?: Shape[] } = {},
): Promise<CheckpointRow[]> {
  const rows: CheckpointRow[] = [];
  for (const shape of options.shapes ?? ["random", "chain"]) {
    for (const graph of ["agent", "waves"] as const)
      rows.push(await measureOne(graph, shape, options.steps ?? 50));
  }
  return rows;
}

export function printCheckpoints(rows: CheckpointRow[]): void {
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  console.log("graph   shape   steps  output    file      checkpoints  writes     file ÷ output");
  for (const r of rows) {
    console.log(
      `${r.graph.padEnd(7)} ${r.shape.padEnd(7)} ${String(r.steps).padStart(5)}  ${kb(r.outputBytes).padEnd(9)} ${kb(r.fileBytes).padEnd(9)} ${kb(r.checkpointBytes).padEnd(12)} ${kb(r.writeBytes).padEnd(10)} ${r.ratio.toFixed(2)}×`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  printCheckpoints(await measureCheckpoints());
}
