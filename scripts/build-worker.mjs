// Part of `npm run build`: replaces tsc's dist/tools/calculator-worker.js with one file that has
// mathjs inlined. The worker is a process of its own, started cold for the first calculation of a
// run and after every expression it had to kill; one file loads in ~0.4 s, mathjs's ~600 modules
// in ~1.5 s.
import { build } from "esbuild";

await build({
  entryPoints: ["src/tools/calculator-worker.ts"],
  outfile: "dist/tools/calculator-worker.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
  allowOverwrite: true,
});
