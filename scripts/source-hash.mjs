// The digest of everything `npm run build` reads: every file under src/, the tsconfig files, the
// build scripts and the lockfile (the calculator's worker bundles mathjs from node_modules). Shared
// by scripts/build.mjs (which writes it to dist/.source-hash) and the e2e tests' setup (which
// refuses a dist/ whose digest differs). Content, not mtimes: a checkout or a rebase touches mtimes.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const INPUTS = [
  "tsconfig.json",
  "tsconfig.build.json",
  "package-lock.json",
  "scripts/build.mjs",
  "scripts/build-worker.mjs",
];

/** @param {string} root the package root @returns {string} hex sha256 */
export function sourceHash(root) {
  const files = readdirSync(join(root, "src"), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)).split("\\").join("/"));
  const hash = createHash("sha256");
  for (const file of [...files.sort(), ...INPUTS]) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}
