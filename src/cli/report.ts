import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { buildRunReport, renderReportHtml, renderTimelineSvg } from "../report/index.js";
import type { RunReport } from "../report/model.js";
import { ThreadNotFoundError, type ThreadGraph } from "../agent/threads.js";
import type { Output } from "./render.js";
import { UsageError } from "./resume-value.js";

export interface ReportFlags {
  out?: string;
  svg?: string;
  open?: boolean;
  json?: boolean;
}

/** `plan-execute report <thread> [--out report.html] [--svg timeline.svg] [--open] [--json]`. */
export async function reportCommand(
  graph: ThreadGraph,
  threadId: string | undefined,
  flags: ReportFlags,
  out: Output,
  where: string,
): Promise<number> {
  if (!threadId) throw new UsageError("name a thread (see `plan-execute threads`)");
  const report = await load(graph, threadId, where);
  if (flags.json && !flags.out && !flags.svg) {
    out.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const html = resolve(flags.out ?? `report-${safeName(threadId)}.html`);
  const files = writeReport(report, html, flags.svg ? resolve(flags.svg) : undefined);
  for (const file of files) say(out, flags.json ?? false, threadId, file);
  if (flags.open) openInBrowser(html, out);
  return 0;
}

/**
 * `--report FILE` on run, demo and resume: writes each thread's report when the command ends,
 * whatever the outcome. Several threads (a demo of several scenarios) get one file each, named
 * after FILE with the thread id added. A report that cannot be written is a warning, never a
 * new failure of the command.
 */
export async function writeRunReports(
  graph: ThreadGraph,
  threadIds: string[],
  file: string,
  out: Output,
  json: boolean,
): Promise<void> {
  const unique = [...new Set(threadIds)];
  for (const threadId of unique) {
    const target = unique.length === 1 ? resolve(file) : withSuffix(resolve(file), safeName(threadId));
    try {
      const report = await buildRunReport(graph, threadId);
      for (const written of writeReport(report, target)) say(out, json, threadId, written);
    } catch (err) {
      process.stderr.write(`warning: no report for thread ${threadId}: ${(err as Error).message}\n`);
    }
  }
}

async function load(graph: ThreadGraph, threadId: string, where: string): Promise<RunReport> {
  try {
    return await buildRunReport(graph, threadId);
  } catch (err) {
    if (err instanceof ThreadNotFoundError) throw new UsageError(`${err.message} in ${where}`);
    throw err;
  }
}

function writeReport(report: RunReport, html: string, svg?: string): string[] {
  mkdirSync(dirname(html), { recursive: true });
  writeFileSync(html, renderReportHtml(report));
  if (!svg) return [html];
  mkdirSync(dirname(svg), { recursive: true });
  writeFileSync(svg, renderTimelineSvg(report));
  return [html, svg];
}

function say(out: Output, json: boolean, threadId: string, file: string): void {
  out.write(json ? `${JSON.stringify({ thread: threadId, type: "report", file })}\n` : `report: ${file}\n`);
}

/** A thread id as a file-name part. */
function safeName(threadId: string): string {
  return threadId.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "thread";
}

function withSuffix(file: string, suffix: string): string {
  const ext = extname(file);
  return `${ext ? file.slice(0, -ext.length) : file}-${suffix}${ext || ".html"}`;
}

/** Opens the report with the desktop's opener; says where it is when there is none. */
function openInBrowser(file: string, out: Output): void {
  const [cmd, args] =
    process.platform === "darwin"
      ? ["open", [file]]
      : process.platform === "win32"
        ? ["cmd", ["/c", "start", "", file]]
        : ["xdg-open", [file]];
  try {
    const child = spawn(cmd, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => out.write(`could not open a browser; open ${file} yourself\n`));
    child.unref();
  } catch {
    out.write(`could not open a browser; open ${file} yourself\n`);
  }
}
