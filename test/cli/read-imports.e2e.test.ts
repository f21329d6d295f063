import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The CLI's commands that only read threads (`threads`, `show`, `history`, `resume` of a finished
 * run) load no node, model or tool module and no client they do not use: their start-up is most of
 * their cost (BENCHMARKS.md, "CLI start-up"). Checked on the built CLI through a module-resolution
 * hook that logs every module the process resolves; the control is a resume that runs the graph.
 */
const dir = mkdtempSync(join(tmpdir(), "pe-read-imports-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, "db.sqlite");
const bin = new URL("../../bin/plan-execute.js", import.meta.url).pathname;

writeFileSync(
  join(dir, "hooks.mjs"),
  `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (process.env.RESOLVED_LOG) appendFileSync(process.env.RESOLVED_LOG, result.url + "\\n");
  return result;
}`,
);
writeFileSync(
  join(dir, "register.mjs"),
  `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`,
);

/** Runs the CLI with the hook; returns its exit code and the module URLs it resolved. */
function cli(...args: string[]): { code: number | null; stderr: string; urls: string[] } {
  const log = join(dir, `resolved-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", join(dir, "register.mjs"), bin, ...args, "--db", db], {
    env: {
      ...process.env,
      RESOLVED_LOG: log,
      OPENAI_API_KEY: "",
      OPENAI_BASE_URL: "",
      DATABASE_URL: "",
      PLAN_EXECUTE_WORKSPACE: join(dir, "workspace"),
      PLAN_EXECUTE_OUTBOX: join(dir, "outbox"),
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr, urls: readFileSync(log, "utf8").trim().split("\n") };
}

/** Project modules (under dist/) and packages (under node_modules/) among the resolved URLs. */
function loaded(urls: string[]): { project: string[]; packages: Set<string> } {
  const project = urls.flatMap((u) => {
    const m = /\/dist\/(.+\.js)$/.exec(u);
    return m && !u.includes("/node_modules/") ? [m[1] as string] : [];
  });
  const packages = new Set(
    urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m ? [m[1] as string] : [];
    }),
  );
  return { project, packages };
}

/** What a read needs none of: the graph's nodes and builder, models, tools, the demo, other clients. */
const NOT_FOR_READING = {
  project: [
    /^graph\/builder\.js$/,
    /^nodes\//,
    /^models\//,
    /^tools\/(index|registry|search|llm|http)\.js$/,
    /^demo\//,
  ],
  packages: [
    "@langchain/openai",
    "openai",
    "minisearch",
    "mathjs",
    "csv-parse",
    "@langchain/tavily",
    "@langchain/mcp-adapters",
    "@langchain/langgraph-checkpoint-postgres",
    "pg",
  ],
};

function expectReadOnly(urls: string[]) {
  const { project, packages } = loaded(urls);
  expect(packages.has("@langchain/langgraph"), "the hook saw LangGraph").toBe(true);
  for (const pattern of NOT_FOR_READING.project) expect(project.filter((p) => pattern.test(p))).toEqual([]);
  for (const name of NOT_FOR_READING.packages) expect(packages.has(name), `${name} was loaded`).toBe(false);
}

describe("CLI commands that only read threads", () => {
  beforeAll(() => {
    expect(cli("demo", "ratio", "--no-latency", "--thread", "done", "--json").code).toBe(0);
    expect(cli("demo", "email", "--no-latency", "--thread", "mail", "--json").code).toBe(3);
  });

  it.each([
    ["threads", ["threads"]],
    ["show (finished)", ["show", "done"]],
    ["show (waiting)", ["show", "mail"]],
    ["history", ["history", "done"]],
    ["resume of a finished run", ["resume", "done"]],
  ])("%s loads no node, model or tool module", (_name, args) => {
    const r = cli(...args);
    expect(r.code, r.stderr).toBe(0);
    expectReadOnly(r.urls);
  });

  it("control: a resume that runs loads the graph's nodes and tools", () => {
    const r = cli("resume", "mail", "--approve", "--json");
    expect(r.code, r.stderr).toBe(0);
    const { project } = loaded(r.urls);
    expect(project).toContain("graph/builder.js");
    expect(project.some((p) => p.startsWith("nodes/"))).toBe(true);
    expect(project).toContain("tools/registry.js");
  });
});
