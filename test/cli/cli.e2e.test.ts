import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "pe-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, "db.sqlite");
const outbox = join(dir, "outbox");
const workspace = join(dir, "workspace");
const bin = new URL("../../bin/plan-execute.js", import.meta.url).pathname;

/** Runs the CLI as a user would in a script: no TTY, no model keys. */
function cli(...args: string[]) {
  const env = {
    ...process.env,
    OPENAI_API_KEY: "",
    OPENAI_BASE_URL: "",
    DATABASE_URL: "",
    PLAN_EXECUTE_WORKSPACE: workspace,
  };
  const r = spawnSync(process.execPath, [bin, ...args, "--db", db, "--outbox", outbox], {
    env,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jsonLines = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("plan-execute CLI (non-TTY)", () => {
  it("stops at a HIGH step with exit 3, resumes in a new process, and sends the email once", () => {
    const first = cli("demo", "email", "--no-latency", "--thread", "mail", "--json");
    expect(first.code).toBe(3);
    const events = jsonLines(first.stdout);
    expect(events.filter((e) => e.type === "step_finished").map((e) => e.stepId)).toEqual(
      expect.arrayContaining(["step_1", "step_2", "step_3", "step_4"]),
    );
    const waiting = events.at(-1) as {
      type: string;
      request: { type: string; steps: { stepId: string; args: { body: string } }[] };
    };
    expect(waiting.type).toBe("approval_required");
    expect(waiting.request.steps[0]?.stepId).toBe("step_5");
    expect(waiting.request.steps[0]?.args.body).toContain("2.36");
    expect(readdirSync(dir)).not.toContain("outbox");

    const shown = cli("show", "mail");
    expect(shown.stdout).toMatch(/thread mail \(waiting\)/);
    expect(shown.stdout).toContain("step_5 [send_email, HIGH]");

    const second = cli("resume", "mail", "--approve", "--json");
    expect(second.code).toBe(0);
    expect(jsonLines(second.stdout).at(-1)).toMatchObject({ type: "done", error: null });
    const files = readdirSync(outbox);
    expect(files).toHaveLength(1);
    expect(readFileSync(join(outbox, files[0] as string), "utf8")).toContain("To: team@example.com");

    const again = cli("resume", "mail", "--approve");
    expect(again.code).toBe(2);
    expect(again.stderr).toBe("error: thread mail is not waiting for a decision (it is finished)\n");
    expect(readdirSync(outbox)).toHaveLength(1);

    const listed = jsonLines(cli("threads", "--json").stdout);
    expect(listed).toContainEqual(expect.objectContaining({ thread: "mail", status: "finished" }));
    const history = jsonLines(cli("history", "mail", "--json").stdout);
    expect(history.length).toBeGreaterThan(5);
  });

  it("a rejected email is not sent: the resume replans, saves a draft instead and finishes", () => {
    expect(cli("demo", "email", "--no-latency", "--thread", "rejected").code).toBe(3);
    const sent = existsSync(outbox) ? readdirSync(outbox).length : 0;

    const r = cli("resume", "rejected", "--reject", "not today", "--json");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.filter((e) => e.type === "step_started").map((e) => e.stepId)).toEqual(["step_6"]);
    expect(events.at(-1)).toMatchObject({
      type: "done",
      error: null,
      answer: expect.stringContaining("saved as a draft in drafts/nvidia-amd-revenue-2024.txt [step_6]"),
    });
    expect(existsSync(outbox) ? readdirSync(outbox).length : 0).toBe(sent);
    const draft = readFileSync(join(workspace, "drafts/nvidia-amd-revenue-2024.txt"), "utf8");
    expect(draft).toContain("NVIDIA's 2024 revenue is 2.36");

    const shown = jsonLines(cli("show", "rejected", "--json").stdout)[0] as { status: string };
    expect(shown.status).toBe("finished");
  });

  it("demo --live-local runs through ChatOpenAI and the local server, and a resume stays on that path", () => {
    const first = cli("demo", "email", "--live-local", "--no-latency", "--thread", "live");
    expect(first.code).toBe(3);
    expect(first.stdout).toMatch(
      /models: ChatOpenAI → local OpenAI-compatible server http:\/\/127\.0\.0\.1:\d+\/v1/,
    );
    expect(first.stdout).toContain("step_5 [send_email, HIGH]");

    const second = cli("resume", "live", "--approve");
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("models: ChatOpenAI → local OpenAI-compatible server");
    expect(second.stdout).toContain("2.36 times AMD's [step_4]");

    const state = jsonLines(cli("show", "live", "--json").stdout)[0] as {
      status: string;
      usage: Record<string, { model: string; calls: number; input_tokens: number }>;
    };
    expect(state.status).toBe("finished");
    // The usage the HTTP responses reported, per role, under the local models' names.
    expect(state.usage.planner).toMatchObject({ model: "local-scripted-planner", calls: 1 });
    expect(state.usage.synthesizer).toMatchObject({ model: "local-scripted-synthesizer", calls: 1 });
    expect(state.usage.planner?.input_tokens).toBeGreaterThan(0);
  });

  it("answers bad input with one line and exit code 2", () => {
    const cases: [string[], RegExp][] = [
      [["show", "no-such-thread"], /^error: no thread "no-such-thread" in .*\n$/],
      [["run", "What is 2+2?"], /^error: no model is configured: set OPENAI_API_KEY .*demo` runs offline\n$/],
      [
        ["demo", "nope"],
        /^error: unknown scenario "nope"; choose from ratio, income, recover, email, sales, review, search\n$/,
      ],
      [["frobnicate"], /^error: unknown command "frobnicate"/],
      [["demo", "ratio", "--auto-approve", "NONE"], /--auto-approve takes LOW, MEDIUM or HIGH/],
    ];
    for (const [args, message] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("refuses malformed --edit JSON without touching the run", () => {
    expect(cli("demo", "email", "--no-latency", "--thread", "edit").code).toBe(3);
    const r = cli("resume", "edit", "--edit", "{not json");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --edit is not valid JSON/);
    expect(cli("show", "edit").stdout).toMatch(/\(waiting\)/);
  });
});
