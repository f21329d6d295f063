// `npm run build`: compiles src/ into dist/ (tsc, declarations included), copies the non-TypeScript
// files of src/ (corpus, sample data), bundles the calculator's worker (scripts/build-worker.mjs),
// then writes dist/.source-hash: a digest of everything the build reads.
//
// `node scripts/build.mjs --if-stale` (what `npm test` runs) skips all of it when dist/.source-hash
// matches the inputs: `npm ci` has just built dist/ through `prepare`, and a second identical tsc
// pass costs ~25 s of CPU on a 2-core machine. The e2e tests' setup compares the same digest, so a
// stale dist/ can't be tested by mistake.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import console from "node:console";
import process from "node:process";
import { fileURLToPath, URL } from "node:url";
import { sourceHash } from "./source-hash.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const stampPath = `${root}dist/.source-hash`;
const ifStale = process.argv.includes("--if-stale");

const hash = sourceHash(root);
if (ifStale && existsSync(stampPath) && readFileSync(stampPath, "utf8").trim() === hash) {
  console.log(`dist/ is up to date with src/ (source hash ${hash.slice(0, 12)}): build skipped`);
  process.exit(0);
}

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

rmSync(`${root}dist`, { recursive: true, force: true });
run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "tsconfig.build.json"]);
cpSync(`${root}src`, `${root}dist`, { recursive: true, filter: (f) => !f.endsWith(".ts") });
run(process.execPath, [`${root}scripts/build-worker.mjs`]);
writeFileSync(stampPath, `${hash}\n`);
