#!/usr/bin/env node
// The compiled CLI (`npm run build`, which `npm ci` runs through `prepare` in a checkout).
import { existsSync } from "node:fs";

const compiled = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write("error: dist/ is missing: run `npm run build` (npm ci runs it) first\n");
  process.exit(2);
}
await import(compiled.href);
