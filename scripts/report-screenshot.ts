/**
 * `npm run report:screenshot`: runs an offline demo (parallel searches, one retried after a
 * transient error, the critic, an email that waits for approval) on SQLite in a temp dir, writes
 * its report, and takes a PNG of it with headless Chromium into docs/report.png.
 *
 *   npm run report:screenshot [-- --out docs/report.png --width 1280 --height 1640 --keep]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";
import { buildRunReport, renderReportHtml, renderTimelineSvg } from "../src/report/index.js";
import { runReportDemo } from "./report-demo.js";

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "docs/report.png" },
    width: { type: "string", default: "1280" },
    height: { type: "string", default: "1640" },
    keep: { type: "boolean", default: false },
  },
});

function chromium(): string {
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    if (spawnSync(name, ["--version"]).status === 0) return name;
  }
  throw new Error("no Chromium found: install it (Debian: apt-get install -y chromium)");
}

const browser = chromium();
const dir = mkdtempSync(join(tmpdir(), "pe-report-shot-"));
try {
  const saver = SqliteSaver.fromConnString(join(dir, "checkpoints.sqlite"));
  const started = Date.now();
  const { agent, threadId } = await runReportDemo({ checkpointer: saver, outbox: join(dir, "outbox") });
  console.log(`demo run: ${Date.now() - started} ms (thread ${threadId})`);
  const t0 = performance.now();
  const report = await buildRunReport(agent, threadId);
  const t1 = performance.now();
  const html = renderReportHtml(report);
  const t2 = performance.now();
  const htmlFile = join(dir, "report.html");
  writeFileSync(htmlFile, html);
  writeFileSync(join(dir, "timeline.svg"), renderTimelineSvg(report));
  console.log(
    `report: build ${(t1 - t0).toFixed(0)} ms, render ${(t2 - t1).toFixed(0)} ms, ${(html.length / 1024).toFixed(1)} KiB`,
  );
  saver.db.close();

  const png = resolve(values.out);
  mkdirSync(dirname(png), { recursive: true });
  const shot = spawnSync(
    browser,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      "--no-first-run",
      `--user-data-dir=${join(dir, "profile")}`,
      `--window-size=${values.width},${values.height}`,
      `--screenshot=${png}`,
      `file://${htmlFile}`,
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (shot.status !== 0) throw new Error(`chromium failed: ${shot.stderr.slice(-1000)}`);
  console.log(`screenshot: ${png} (${(statSync(png).size / 1024).toFixed(0)} KiB)`);
  if (values.keep) console.log(`kept: ${dir}`);
} finally {
  if (!values.keep) rmSync(dir, { recursive: true, force: true });
}
