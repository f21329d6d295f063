// Runs npm scripts at the same time (`node scripts/parallel.mjs typecheck lint build`), each one's
// output held back and printed whole when it ends, so the logs don't interleave. Exits non-zero
// if any of them failed, after all have ended. `npm test` uses it for the static checks and the
// build: one at a time they left a core idle for a minute or more.
import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import process from "node:process";

const scripts = process.argv.slice(2);
const npm = process.env.npm_execpath;
const results = await Promise.all(
  scripts.map(
    (script) =>
      new Promise((resolve) => {
        const started = Date.now();
        const [cmd, args] = npm
          ? [process.execPath, [npm, "run", "--silent", script]]
          : ["npm", ["run", "--silent", script]];
        const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
        const chunks = [];
        child.stdout.on("data", (d) => chunks.push(d));
        child.stderr.on("data", (d) => chunks.push(d));
        child.on("close", (code, signal) => {
          const ms = Date.now() - started;
          const status = code === 0 ? "ok" : `failed (${signal ?? `exit ${code}`})`;
          process.stdout.write(`\n── npm run ${script}: ${status}, ${(ms / 1000).toFixed(1)} s\n`);
          process.stdout.write(Buffer.concat(chunks));
          resolve(code === 0);
        });
      }),
  ),
);
process.exitCode = results.every(Boolean) ? 0 : 1;
