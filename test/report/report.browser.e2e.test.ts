import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runReportDemo } from "../../scripts/report-demo.js";
import { buildRunReport, renderReportHtml, renderTimelineSvg } from "../../src/report/index.js";

/**
 * The report in a real headless Chromium: what a person would see once the page has laid out.
 * Chromium is installed with apt-get when it is missing and this runs as root; otherwise the
 * test is skipped with a message.
 */
const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

function findChromium(): string | null {
  for (const name of CANDIDATES) {
    const r = spawnSync(name, ["--version"], { encoding: "utf8" });
    if (r.status === 0) return name;
  }
  return null;
}

function installChromium(): string | null {
  if (process.getuid?.() !== 0 || spawnSync("apt-get", ["--version"]).status !== 0) return null;
  console.warn("report browser test: installing chromium with apt-get (one time)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  spawnSync("apt-get", ["update"], { stdio: "ignore", env, timeout: 300_000 });
  spawnSync("apt-get", ["install", "-y", "chromium"], { stdio: "ignore", env, timeout: 600_000 });
  return findChromium();
}

const chromium = findChromium() ?? installChromium();
if (!chromium)
  console.warn(
    "report browser test skipped: no Chromium found (tried chromium, chromium-browser, google-chrome) and apt-get could not install it",
  );

const dir = mkdtempSync(join(tmpdir(), "pe-report-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Loads a page in headless Chromium and returns the DOM after its scripts ran. */
function dumpDom(url: string): string {
  const r = spawnSync(
    chromium as string,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--hide-scrollbars",
      "--no-first-run",
      `--user-data-dir=${join(dir, "profile")}`,
      "--window-size=1280,1000",
      "--dump-dom",
      url,
    ],
    { encoding: "utf8", timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0) throw new Error(`chromium failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Measures every timeline bar as laid out, and what the page's own script did, into the DOM. */
const PROBE = `(function(){
var bars=[].map.call(document.querySelectorAll(".gantt .bar"),function(el){var r=el.getBoundingClientRect();
return {kind:el.getAttribute("data-kind"),step:el.getAttribute("data-step"),attempt:el.getAttribute("data-attempt"),cls:el.className,
left:r.left,right:r.right,top:r.top,width:r.width,height:r.height,visible:el.offsetParent!==null};});
var opened=[].filter.call(document.querySelectorAll("details.step"),function(d){return d.open}).map(function(d){return d.getAttribute("data-step")});
var pre=document.createElement("pre");pre.id="probe";pre.textContent=btoa(JSON.stringify({bars:bars,opened:opened}));document.body.appendChild(pre);
})();`;

interface Bar {
  kind: string;
  step: string | null;
  attempt: string | null;
  cls: string;
  left: number;
  right: number;
  top: number;
  width: number;
  height: number;
  visible: boolean;
}

describe.skipIf(!chromium)("the report in headless Chromium", () => {
  let html = "";
  let svg = "";
  let stepIds: string[] = [];

  beforeAll(async () => {
    const { agent, threadId } = await runReportDemo({ outbox: join(dir, "outbox"), approvalDelayMs: 1_200 });
    const report = await buildRunReport(agent, threadId);
    stepIds = report.steps.map((s) => s.id);
    html = renderReportHtml(report);
    svg = renderTimelineSvg(report);
  }, 60_000);

  it("shows one bar per attempt, parallel steps overlapping, and an approval's wait as its own bar", () => {
    // The probe runs under the page's own CSP: its hash is added next to the page script's.
    const hash = createHash("sha256").update(PROBE).digest("base64");
    const page = html
      .replace(/script-src 'sha256-([^']+)'/, `script-src 'sha256-$1' 'sha256-${hash}'`)
      .replace("</body>", `<script>${PROBE}</script></body>`);
    const file = join(dir, "report.html");
    writeFileSync(file, page);
    const anchor = `s-${stepIds.indexOf("step_2") + 1}`;
    const dom = dumpDom(`file://${file}#${anchor}`);
    const encoded = /<pre id="probe">([A-Za-z0-9+/=]+)<\/pre>/.exec(dom)?.[1];
    expect(encoded, "the probe ran (the CSP allowed it)").toBeDefined();
    const { bars, opened } = JSON.parse(Buffer.from(encoded as string, "base64").toString()) as {
      bars: Bar[];
      opened: string[];
    };
    const of = (step: string, kind: string) => bars.filter((b) => b.step === step && b.kind === kind);

    // Every step's bars are laid out and visible.
    for (const b of bars.filter((x) => x.step)) {
      expect(b.visible, JSON.stringify(b)).toBe(true);
      expect(b.width).toBeGreaterThan(1);
      expect(b.height).toBeGreaterThan(8);
    }
    // A retried step: two bars on one row, the failed attempt first, a gap (the backoff) between.
    const retried = of("step_2", "attempt");
    expect(retried.map((b) => [b.attempt, b.cls])).toEqual([
      ["1", "bar attempt retried"],
      ["2", "bar attempt ok"],
    ]);
    const [first, second] = retried as [Bar, Bar];
    expect(second.top).toBe(first.top);
    expect(second.left).toBeGreaterThan(first.right);
    for (const id of ["step_1", "step_3", "step_4", "step_5"]) expect(of(id, "attempt")).toHaveLength(1);

    // Parallel steps: step_1 and step_2's first attempt ran at the same time; their x-ranges overlap.
    const one = of("step_1", "attempt")[0] as Bar;
    expect(Math.min(one.right, first.right) - Math.max(one.left, first.left)).toBeGreaterThan(5);
    expect(one.top).toBeLessThan(first.top); // on their own rows

    // The email waited for a person: its own bar, before the step's work, not overlapping it.
    const waits = of("step_5", "wait");
    expect(waits).toHaveLength(1);
    const wait = waits[0] as Bar;
    const work = of("step_5", "attempt")[0] as Bar;
    expect(wait.cls).toBe("bar wait done");
    expect(wait.width).toBeGreaterThan(40);
    expect(wait.top + wait.height / 2).toBeCloseTo(work.top + work.height / 2, 0); // same row
    expect(work.left).toBeGreaterThanOrEqual(wait.right - 1);
    // The run row shows the same wait apart from the agent's work.
    expect(bars.filter((b) => b.step === null && b.kind === "wait")).toHaveLength(1);

    // The page's script opened the step the URL points at (a citation link does the same).
    expect(opened).toEqual(["step_2"]);
  }, 90_000);

  it("renders the standalone timeline SVG without XML errors", () => {
    const file = join(dir, "timeline.svg");
    writeFileSync(file, svg);
    const dom = dumpDom(`file://${file}`);
    expect(dom).toContain("<svg");
    expect(dom).not.toMatch(/error on line|parsererror/i);
  }, 60_000);
});
