/**
 * Global setup of the e2e project: its tests run the built package (`dist/`, through
 * `bin/plan-execute.js` and the packed tarball), which `npm test` builds just before vitest starts.
 * Run alone (`npx vitest --project e2e`), a missing or stale build would test old code without a
 * word: refuse instead, naming the newer source file.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

function newestFile(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: dir, mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(path);
    if (mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}

export default function setup(): void {
  let built: number;
  try {
    built = statSync(join(root, "dist", "index.js")).mtimeMs;
  } catch {
    throw new Error("The e2e tests run the built package, and dist/ is missing: run `npm run build` first.");
  }
  const source = newestFile(join(root, "src"));
  if (source.mtimeMs > built) {
    throw new Error(
      `The e2e tests run the built package, and dist/ is older than ${source.path.slice(root.length)}: ` +
        "run `npm run build` first (npm test does).",
    );
  }
}
