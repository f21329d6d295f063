/**
 * Where the bundled test processes live (built by test/global-setup.ts before any test runs), and
 * how to start one: `spawn(process.execPath, [fixture("crash-child"), ...args])`.
 */
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Output folder of the bundles (git-ignored). */
export const BUILD_DIR = `${root}.test-build`;

const NAMES = [
  "calc-child",
  "crash-child",
  "crash-loop-child",
  "lease-child",
  "mcp-server",
  "pg-worker",
  "resume-child",
  "trace-child",
] as const;
export type FixtureName = (typeof NAMES)[number];

export const FIXTURES = NAMES.map((name) => `${root}test/fixtures/${name}.ts`);
export const WORKER_ENTRY = `${root}src/tools/calculator-worker.ts`;

/** The bundled fixture's path: run it with `node` directly, no loader. */
export function fixture(name: FixtureName): string {
  return `${BUILD_DIR}/${name}.mjs`;
}
