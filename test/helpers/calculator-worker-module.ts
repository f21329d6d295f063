/**
 * Stands in for src/tools/calculator-worker-module.ts under vitest (an alias in vitest.config.ts):
 * the worker bundled by test/global-setup.ts from the current source, started without a loader.
 */
import { BUILD_DIR } from "./fixtures.js";

export function calculatorWorkerModule(): { file: string; execArgv: string[] } {
  return { file: `${BUILD_DIR}/calculator-worker.js`, execArgv: [] };
}
