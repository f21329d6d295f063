import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { PlanExecuteContext } from "../../src/core/settings.js";
import { checkAnswer, citedIds, numbersIn } from "../../src/nodes/answer-checks.js";
import { buildAnswerReviewPrompt } from "../../src/nodes/quality-prompts.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";

const promptOf = (m: { calls: { messages: { content: unknown }[] }[] }, call: number) =>
  m.calls[call]?.messages.map((x) => String(x.content)).join("\n") ?? "";
const APPROVE = { structured: { complete: true, supported: true, problems: [] } };
const reject = (...problems: string[]) => ({ structured: { complete: false, supported: true, problems } });

/** `measure {key}`: a number per key. */
const measure = (values: Record<string, number>) =>
  fakeTool("measure", z.object({ key: z.string() }).strict(), (a) => ({ key: a.key, value: values[a.key] }));
const boom = () =>
  fakeTool("boom", z.object({}).strict(), () => {
    throw new Error("the service is down");
  });

/** The critic on for LLM steps only (there are none here): the evaluator model only reviews answers. */
const REVIEWED: PlanExecuteContext = { critic: "llm_steps" };

describe("the deterministic answer checks", () => {
  const steps = {
    a: {
      status: "succeeded",
      output: { total: 1234.4567, share: 0.5234, text: "revenue of $60.92 billion" },
    },
    b: { status: "failed", output: null, error: "the service is down" },
    c: { status: "succeeded", output: "2.3622 times" },
  };
  const check = (answer: string, goal = "g") => checkAnswer({ answer, goal, steps });

  it("accepts formatting differences and rounding to the shown precision", () => {
    expect(
      check(
        "The total is 1,234.46 [a] (about 1234 [a]); the share is 52% [a]; revenue was $60.92 billion [a]; " +
          "2.36 times [c].",
      ),
    ).toEqual([]);
  });

  it("catches a cited step that failed and one that does not exist", () => {
    expect(check("It failed [b], see [step_9] and [a, c].")).toEqual([
      "The answer cites [b], which did not succeed (failed: the service is down); it cannot support a claim.",
      "The answer cites [step_9], which is not a step of this run.",
    ]);
  });

  it("catches a number no step produced, ignoring numbers in the goal and small counts", () => {
    expect(check("The total is 1,250 [a], up 17.5% over 2024, in 3 regions.", "sales since 2024")).toEqual([
      'The answer states "1,250", but no step produced that number: take it from a step\'s result or leave it out.',
      'The answer states "17.5%", but no step produced that number: take it from a step\'s result or leave it out.',
    ]);
  });

  it("reads numbers and citations as prose has them", () => {
    expect(numbersIn("v1.2.3, step_1, gpt-4o, $1,234.5, 12 million, 7%").map((n) => n.text)).toEqual([
      "1,234.5",
      "12 million",
      "7%",
    ]);
    // Not citations: a word, a footnote number, a link text, a bracket with a word that is no step.
    expect(citedIds("[a] [sic] [1] [step_2, step_3] [link](http://x) [a b]", { a: {} })).toEqual([
      "a",
      "step_2",
      "step_3",
    ]);
  });
});

describe("answer review in the graph", () => {
  it("with the critic off (the default) it only reports: the failed citation is found, no model is called", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "measure", args: { key: "x" } }, { id: "b", tool: "boom" })],
        synthesizer: ["x is 42 [a]; the other part failed [b]."],
      },
      [measure({ x: 42 }), boom()],
    );
    const { state, events } = await run(agent, { goal: "g" }, { context: { maxReplans: 0 } });
    expect(state.finalAnswer).toBe("x is 42 [a]; the other part failed [b].");
    expect(state.answerReview).toEqual({
      round: 1,
      passed: false,
      findings: [
        "The answer cites [b], which did not succeed (failed: the service is down); it cannot support a claim.",
      ],
      by: ["checks"],
      notes: ["no round: the critic is off, so the review only reports"],
      revise: false,
    });
    expect(eventsOf(events, "answer_reviewed")).toEqual([
      expect.objectContaining({ round: 1, passed: false, revise: false, by: ["checks"] }),
    ]);
    expect([models.planner.callCount, models.synthesizer.callCount, models.evaluator.callCount]).toEqual([
      1, 1, 0,
    ]);
  });

  it("a default run whose answer is supported passes the checks and calls nothing more", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "measure", args: { key: "x" } })],
        synthesizer: ["x is 42 [a]."],
      },
      [measure({ x: 42 })],
    );
    const { state } = await run(agent, { goal: "g" });
    expect(state.answerReview).toMatchObject({ passed: true, by: ["checks"], findings: [], revise: false });
    expect(models.evaluator.callCount).toBe(0);
  });

  it("an answer the checks fail goes back without a model reviewer; the rewritten one meets it", async () => {
    const m = measure({ x: 42, y: 8 });
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "measure", args: { key: "x" } }),
          plan({ id: "b", tool: "measure", args: { key: "y" } }),
        ],
        evaluator: [APPROVE],
        synthesizer: ["x is 42 [a] and y is about 9.5.", "x is 42 [a] and y is 8 [b]."],
      },
      [m],
    );
    const { state, events } = await run(agent, { goal: "What are x and y?" }, { context: REVIEWED });
    expect(state.finalAnswer).toBe("x is 42 [a] and y is 8 [b].");
    const replan = promptOf(models.planner, 1);
    expect(replan).toContain('1. The answer states "9.5", but no step produced that number');
    expect(replan).not.toContain("2. ");
    expect(eventsOf(events, "answer_reviewed").map((e) => [e.round, e.passed, e.revise, e.by])).toEqual([
      [1, false, true, ["checks"]],
      [2, true, false, ["checks", "reviewer"]],
    ]);
    // One reviewer call, for the answer the checks passed.
    expect(models.evaluator.callCount).toBe(1);
    expect(promptOf(models.evaluator, 0)).toContain("x is 42 [a] and y is 8 [b].");
  });

  it("a reviewer's finding sends the answer to the replanner; its new step and a new answer pass", async () => {
    const m = measure({ x: 42, y: 8 });
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan({ id: "a", tool: "measure", args: { key: "x" } }),
          plan({ id: "b", tool: "measure", args: { key: "y" } }),
        ],
        evaluator: [reject("The goal asks for y too; nothing measured it."), APPROVE],
        synthesizer: ["x is 42 [a].", "x is 42 [a] and y is 8 [b]."],
      },
      [m],
    );
    const { state, events } = await run(agent, { goal: "What are x and y?" }, { context: REVIEWED });
    expect(state.error).toBeNull();
    expect(state.finalAnswer).toBe("x is 42 [a] and y is 8 [b].");
    expect(m.calls).toEqual([{ key: "x" }, { key: "y" }]);

    // The replanner got the answer and the reviewer's finding.
    const replan = promptOf(models.planner, 1);
    expect(replan).toContain("The answer written from these results did not pass review:\nx is 42 [a].");
    expect(replan).toContain("1. Reviewer: The goal asks for y too; nothing measured it.");
    expect(replan).toContain("Finished steps and their outputs:\n[a] step a\n");
    // The new answer was written with the findings and the previous answer.
    const synthesis = promptOf(models.synthesizer, 1);
    expect(synthesis).toContain("Your previous answer did not pass review:\nx is 42 [a].");
    expect(synthesis).toContain("Reviewer: The goal asks for y too");

    expect(eventsOf(events, "answer_reviewed").map((e) => [e.round, e.passed, e.revise, e.by])).toEqual([
      [1, false, true, ["checks", "reviewer"]],
      [2, true, false, ["checks", "reviewer"]],
    ]);
    expect(eventsOf(events, "replanned")).toEqual([
      expect.objectContaining({ review: true, failed: [], replan: 0 }),
    ]);
    expect(state.answerReview).toMatchObject({ round: 2, passed: true });
    expect(state.answerRevisions).toBe(1);
    // The review round is not a recovery from a failure: maxReplans is untouched.
    expect(state.replans).toBe(0);
    expect(state.planVersion).toBe(2);
  });

  it("an empty recovery plan still rewrites the answer with the findings; a bound of 1 round ends a review that fails again", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "measure", args: { key: "x" } }), { structured: { steps: [] } }],
        // Both answers fail the checks: no reviewer is asked.
        evaluator: [],
        synthesizer: ["x is 43 [a].", "x is 44 [a]."],
      },
      [measure({ x: 42 })],
    );
    const { state } = await run(agent, { goal: "g" }, { context: REVIEWED });
    expect(models.synthesizer.callCount).toBe(2);
    expect(models.planner.callCount).toBe(2);
    expect(state.finalAnswer).toBe("x is 44 [a].");
    expect(state.answerReview).toMatchObject({
      round: 2,
      passed: false,
      revise: false,
      notes: [
        "the model reviewer was skipped: the checks already failed the answer",
        "no round of review left (maxAnswerRevisions 1)",
      ],
    });
    expect(state.answerReview?.findings[0]).toMatch(/"44"/);
    expect(models.evaluator.callCount).toBe(0);
  });

  it("maxAnswerRevisions 0 turns the review off", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "measure", args: { key: "x" } })],
        synthesizer: ["x is 99 [zzz_1]."],
      },
      [measure({ x: 42 })],
    );
    const { state, events } = await run(
      agent,
      { goal: "g" },
      { context: { ...REVIEWED, maxAnswerRevisions: 0 } },
    );
    expect(state.finalAnswer).toBe("x is 99 [zzz_1].");
    expect(state.answerReview).toBeNull();
    expect(eventsOf(events, "answer_reviewed")).toEqual([]);
    expect(models.evaluator.callCount).toBe(0);
  });

  it("an unreadable reviewer verdict is asked again once, then left out with a note", async () => {
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "measure", args: { key: "x" } })],
        evaluator: [{ structured: { fine: true } }, { structured: { complete: "yes" } }],
        synthesizer: ["x is 42 [a]."],
      },
      [measure({ x: 42 })],
    );
    const { state } = await run(agent, { goal: "g" }, { context: REVIEWED });
    expect(models.evaluator.callCount).toBe(2);
    expect(state.answerReview).toMatchObject({ passed: true, by: ["checks"], revise: false });
    expect(state.answerReview?.notes[0]).toMatch(
      /^the reviewer's verdict could not be read \(after 2 attempts/,
    );
  });
});

describe("the answer review's prompt", () => {
  const summary =
    "Total revenue was $723,131. West leads with $223,727 (31%), ahead of East ($207,098, 29%); South trails at $123,837 (17%), well behind the others.";
  const results = [
    {
      id: "totals",
      description: "Revenue per region",
      output: "West,223726.98\nEast,207097.56\nSouth,123836.72",
    },
    { id: "summary", description: "Write the summary", output: summary },
  ];

  it("says an output the answer quotes word for word is quoted, instead of showing it twice", () => {
    const prompt = buildAnswerReviewPrompt({
      goal: "g",
      answer: `${summary} [summary]\n\nThe totals come from [totals].`,
      results,
      failures: [],
    })
      .map((m) => m.text)
      .join("\n");
    expect(prompt).toContain(`[summary] Write the summary\n${summary}`);
    expect(prompt).toContain("Answer:\n([summary], word for word) [summary]");
    expect(prompt.split(summary)).toHaveLength(2);
    expect(prompt).toContain("West,223726.98");
  });

  it("keeps a quoted output in its step's block: an answer cannot pass it off as another source's words", () => {
    // A synthesizer misled by a page: it quotes the refund record word for word, says it is a forum
    // post's, and credits [record] with the opposite. Told only that [record] is quoted somewhere
    // below, the reviewer cannot tell which words are the record's.
    const record =
      "Refund request 8841 for order 1207 was denied on 2024-03-02: the item was returned after the 30-day window and shows wear.";
    const answer = `A forum post claims: "${record}" The official record [record] shows the refund was approved.`;
    const prompt = buildAnswerReviewPrompt({
      goal: "Was the refund for order 1207 approved?",
      answer,
      results: [{ id: "record", description: "Read the refund record", output: record }],
      failures: [],
    })
      .map((m) => m.text)
      .join("\n");
    const [evidence, judged] = prompt.split("\n\nAnswer:\n");
    expect(evidence).toContain(`[record] Read the refund record\n${record}`);
    // Shown once still: the answer points to the block at the very place it quotes it.
    expect(judged).toBe(
      'A forum post claims: "([record], word for word)" The official record [record] shows the refund was approved.',
    );
  });

  it("points a quote of two steps' same output to the first, and an output inside a longer one to the longer", () => {
    const inner = `${summary} (inner)`;
    const outer = `Report: ${inner} More.`;
    const prompt = buildAnswerReviewPrompt({
      goal: "g",
      answer: `${summary} [summary] and ${outer} [outer] and ${inner} [inner]`,
      results: [
        ...results,
        { id: "again", description: "Again", output: summary },
        { id: "outer", description: "Outer", output: outer },
        { id: "inner", description: "Inner", output: inner },
      ],
      failures: [],
    })
      .map((m) => m.text)
      .join("\n");
    expect(prompt).toContain("[again] Again\n(the same output as [summary])");
    expect(prompt.split("\nAnswer:\n")[1]).toBe(
      "([summary], word for word) [summary] and ([outer], word for word) [outer] and " +
        "([inner], word for word) [inner]",
    );
  });

  it("escapes an answer's own text that reads like a pointer to a quoted output", () => {
    const answer = `The full terms: ([terms], word for word). Again: ( [terms] , Word For Word ). They allow returns [terms].`;
    const prompt = buildAnswerReviewPrompt({
      goal: "g",
      answer,
      results: [{ id: "terms", description: "Read the terms", output: "x".repeat(200) }],
      failures: [],
    })
      .map((m) => m.text)
      .join("\n");
    expect(prompt).toContain("The full terms: \\([terms], word for word).");
    expect(prompt).toContain("Again: \\( [terms] , Word For Word ).");
  });

  it("shows an output the answer changed, shortened or only partly quotes", () => {
    for (const answer of [
      summary.replace("$723,131", "$723,000"),
      summary.slice(0, 80),
      "Totals: see [totals].",
    ]) {
      const prompt = buildAnswerReviewPrompt({ goal: "g", answer, results, failures: [] })
        .map((m) => m.text)
        .join("\n");
      expect(prompt).toContain(`[summary] Write the summary\n${summary}`);
    }
  });
});
