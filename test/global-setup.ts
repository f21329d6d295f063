/**
 * Runs once before any test file: bundles the processes tests spawn (test/fixtures/*.ts, and the
 * calculator's worker) into plain JavaScript in `.test-build/`, each one file with its npm packages
 * left as imports. Started through tsx, such a process spent 3–7 s loading TypeScript source
 * module by module (most of a durability test); bundled it starts in a fraction of a second, from
 * the same source as the tests that start it, rebuilt on every run.
 */
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { BUILD_DIR, FIXTURES, WORKER_ENTRY } from "./helpers/fixtures.js";

export default async function setup(): Promise<void> {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const common = {
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: BUILD_DIR,
    sourcemap: "inline",
    logLevel: "warning",
  } as const;
  await Promise.all([
    // Fixtures keep their packages as imports, so they share the tests' copies of LangGraph & co.
    build({ ...common, entryPoints: FIXTURES, packages: "external", outExtension: { ".js": ".mjs" } }),
    // The calculator's worker inlines mathjs, as the package build does (scripts/build-worker.mjs).
    // Named as in dist/, beside the fixtures: a bundled fixture's calculator looks for its sibling.
    build({ ...common, entryPoints: [WORKER_ENTRY] }),
  ]);
}
