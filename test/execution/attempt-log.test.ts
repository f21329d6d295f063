import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StepRecordSchema } from "../../src/core/state.js";
import { TransientToolError } from "../../src/tools/types.js";
import { plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool, sleep } from "../helpers/tools.js";

const answer = { synthesizer: ["done"] };

describe("attempt log", () => {
  it("records each attempt's start, end and error, retries included", async () => {
    let calls = 0;
    const flaky = fakeTool("flaky", z.object({}).strict(), async () => {
      calls += 1;
      await sleep(30);
      if (calls < 3) throw new TransientToolError(`busy (${calls})`);
      return "ok";
    });
    const { agent } = scriptedAgent({ planner: [plan({ id: "s", tool: "flaky" })], ...answer }, [flaky]);
    const { state } = await run(agent, { goal: "g" }, { context: { retryBaseDelayMs: 40, maxRetries: 3 } });
    const record = state.steps.s;
    expect(record).toMatchObject({ status: "succeeded", attempts: 3 });
    const log = record?.attemptLog ?? [];
    expect(log.map((a) => [a.attempt, a.error])).toEqual([
      [1, "TransientToolError: busy (1)"],
      [2, "TransientToolError: busy (2)"],
      [3, null],
    ]);
    for (const [i, a] of log.entries()) {
      expect(a.finishedAt - a.startedAt).toBeGreaterThanOrEqual(25);
      // The backoff sits between attempts: the next one starts after this one ended.
      if (i > 0) expect(a.startedAt).toBeGreaterThanOrEqual((log[i - 1]?.finishedAt ?? 0) + 15);
    }
    expect(log[0]?.startedAt).toBeGreaterThanOrEqual(record?.startedAt ?? 0);
    expect(log.at(-1)?.finishedAt).toBeLessThanOrEqual(record?.finishedAt ?? 0);
  });

  it("logs the last attempt of a step that fails, and none for a step whose args never resolved", async () => {
    const down = fakeTool("down", z.object({}).strict(), () => {
      throw Object.assign(new Error("503 Service Unavailable"), { status: 503 });
    });
    const word = fakeTool("word", z.object({}).strict(), () => "text");
    const num = fakeTool("num", z.object({ n: z.number() }).strict(), (a) => a.n);
    const { agent } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "down" },
            { id: "w", tool: "word" },
            // Resolves to a string where a number is wanted: the step fails before its tool runs.
            { id: "b", tool: "num", args: { n: "{{w.output}}" }, depends_on: ["w"] },
          ),
        ],
        ...answer,
      },
      [down, word, num],
    );
    const { state } = await run(
      agent,
      { goal: "g" },
      { context: { maxRetries: 1, retryBaseDelayMs: 1, maxReplans: 0 } },
    );
    expect(state.steps.a?.attemptLog?.map((x) => x.attempt)).toEqual([1, 2]);
    expect(state.steps.a?.attemptLog?.[1]?.error).toMatch(/503.*gave up after 2 attempts/);
    expect(state.steps.b).toMatchObject({ status: "failed", attempts: 0, attemptLog: [] });
    expect(num.calls).toHaveLength(0);
  });

  it("keeps step records of older threads readable (no attempt log, no usage)", () => {
    const old = {
      id: "s",
      status: "succeeded",
      output: 1,
      error: null,
      attempts: 2,
      startedAt: 1,
      finishedAt: 2,
      evaluation: null,
    };
    expect(StepRecordSchema.parse(old)).toEqual(old);
  });
});
