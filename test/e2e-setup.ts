/**
 * Global setup of the e2e project: its tests run the built package (`dist/`, through
 * `bin/plan-execute.js` and the packed tarball), which `npm test` builds (when stale) just before
 * vitest starts. Run alone (`npx vitest --project e2e`), a missing or stale build would test old
 * code without a word: refuse instead. Stale means dist/.source-hash differs from the digest of
 * what the build reads now (scripts/source-hash.mjs).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sourceHash } from "../scripts/source-hash.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

export default function setup(): void {
  let built: string;
  try {
    built = readFileSync(join(root, "dist", ".source-hash"), "utf8").trim();
  } catch {
    throw new Error("The e2e tests run the built package, and dist/ is missing: run `npm run build` first.");
  }
  if (built !== sourceHash(root)) {
    throw new Error(
      "The e2e tests run the built package, and dist/ was built from other sources than src/ holds now: " +
        "run `npm run build` first (npm test does).",
    );
  }
}
