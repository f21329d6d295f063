import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The bundled sample: 192 monthly sales rows (region, product, month, units, revenue) with 3 planted anomalies. */
export const SAMPLE_SALES_CSV = fileURLToPath(new URL("./sample-sales.csv", import.meta.url));

/** Copies the sample sales CSV into `workspace` (created if missing) as `name`; returns that name. */
export async function copySampleSalesCsv(workspace: string, name = "sales.csv"): Promise<string> {
  const target = path.resolve(workspace, name);
  if (path.relative(path.resolve(workspace), target).startsWith("..")) {
    throw new Error(`${name} is outside the workspace`);
  }
  await mkdir(path.dirname(target), { recursive: true });
  await copyFile(SAMPLE_SALES_CSV, target);
  return name;
}
