import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Two projects, both run by `npm test`: `unit` (in-process, the inner loop: `npx vitest --project unit`)
 * and `e2e` (`*.e2e.test.ts`: spawned processes, servers, the built CLI in dist/).
 */
export default defineConfig({
  resolve: {
    alias: [
      // The calculator's worker runs from the bundle test/global-setup.ts builds, not through tsx.
      {
        find: /^\.\/calculator-worker-module\.js$/,
        replacement: fileURLToPath(new URL("./test/helpers/calculator-worker-module.ts", import.meta.url)),
      },
    ],
  },
  test: {
    // Bundles the processes tests spawn (test/fixtures, the calculator's worker) once per run.
    globalSetup: ["test/global-setup.ts"],
    // Two files at a time even on two cores (vitest's default there is one): most of an e2e file's
    // time is spent waiting on a process it started, which leaves a core idle.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.e2e.test.ts"],
          // The files of a worker share one module graph instead of importing LangGraph, LangChain
          // and zod afresh for each of ~60 files: 53 s → 28 s for the project on 2 idle cores
          // (import time 32 s → 4 s). Unit tests keep no module-level state and stub nothing
          // globally (no vi.mock, no vi.stubEnv), which is what this needs.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["test/**/*.e2e.test.ts"],
          // Refuses to run against a missing or stale dist/.
          globalSetup: ["test/e2e-setup.ts"],
          // Spawned processes and servers: slower on a busy machine than in-process tests.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
