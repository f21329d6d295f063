import { fileURLToPath } from "node:url";

/**
 * The calculator's worker module and the flags node needs to run it. Built (dist/), it is the
 * sibling `calculator-worker.js`, bundled with mathjs into one file by `npm run build` so that a
 * cold start parses one file instead of hundreds (about 0.4 s instead of 1.5 s); from TypeScript
 * source (tsx) it is the `.ts` module run through tsx's loader. The tests swap this module for one
 * that points at their own bundle of the worker (vitest.config.ts).
 */
export function calculatorWorkerModule(): { file: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith(".ts");
  const file = fileURLToPath(
    new URL(fromSource ? "./calculator-worker.ts" : "./calculator-worker.js", import.meta.url),
  );
  return { file, execArgv: fromSource ? ["--import", import.meta.resolve("tsx")] : [] };
}
