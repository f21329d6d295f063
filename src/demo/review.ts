import type { BaseMessage } from "@langchain/core/messages";
import { ANSWER_APPROVED, lastHumanText, planReply, resultOf, type Scenario } from "./types.js";

const revenue = (step: string) => `{{${step}.output.results.0.facts.revenue_usd_billion}}`;
const growth = (before: string, after: string) =>
  `(${revenue(after)} - ${revenue(before)}) / ${revenue(before)} * 100`;

/** The revenue a search step's top result states, read off its text in a prompt (as a model would). */
function revenueIn(prompt: string, step: string): number {
  const top = /^results\.0:.*?\$([\d.]+) billion/m.exec(resultOf(prompt, step));
  return top ? Number(top[1]) : NaN;
}

const pct = (prompt: string, step: string) => `${Number(resultOf(prompt, step)).toFixed(2)}%`;

/** The first draft of the briefing: it covers NVIDIA only, which is why the critic sends it back. */
function weakDraft(messages: BaseMessage[]): string {
  const prompt = lastHumanText(messages);
  return (
    `NVIDIA's revenue grew ${pct(prompt, "step_5")} in fiscal 2024, to $${revenueIn(prompt, "step_2")} billion, ` +
    "on data center demand."
  );
}

/** The revision, written with the critic's feedback: both companies, both growth rates. */
function revisedDraft(messages: BaseMessage[]): string {
  const prompt = lastHumanText(messages);
  return (
    `NVIDIA's revenue grew ${pct(prompt, "step_5")} in fiscal 2024, from $${revenueIn(prompt, "step_1")} billion ` +
    `to $${revenueIn(prompt, "step_2")} billion; AMD's grew ${pct(prompt, "step_6")} in 2024, from ` +
    `$${revenueIn(prompt, "step_3")} billion to $${revenueIn(prompt, "step_4")} billion. NVIDIA grew much faster.`
  );
}

/**
 * The first answer adds a comparison the model worked out in its head ("N times as fast"): no
 * step computed it, and the answer review catches it. The second answer, written after the review
 * round added a calculator step for it, cites that step instead.
 */
function answer(messages: BaseMessage[]): string {
  const prompt = lastHumanText(messages);
  const briefing = resultOf(prompt, "step_7");
  if (prompt.includes("[step_8]")) {
    const times = Number(resultOf(prompt, "step_8")).toFixed(2);
    return `${briefing} [step_7] NVIDIA's growth rate was ${times} times AMD's [step_8], from [step_5] and [step_6].`;
  }
  const times = (Number(resultOf(prompt, "step_5")) / Number(resultOf(prompt, "step_6"))).toFixed(2);
  return `${briefing} [step_7] That makes NVIDIA's growth ${times} times AMD's, from [step_5] and [step_6].`;
}

/**
 * Both quality loops in one run. The briefing step reflects: its first draft covers only NVIDIA,
 * the critic scores it low and says why, and the revision passes. The answer then claims a
 * figure no step produced; the answer review catches it, the review round adds a calculator step
 * that computes it, and the rewritten answer passes. Every number comes from the search corpus and
 * the calculator at run time.
 */
export const reviewScenario: Scenario = {
  name: "review",
  title: "NVIDIA vs AMD revenue growth: a revised briefing and a reviewed answer",
  goal:
    "How much did NVIDIA's revenue grow in fiscal 2024 and AMD's in 2024, in percent? " +
    "Write a short briefing for an investor.",
  context: { critic: "llm_steps" },
  script: {
    planner: [
      planReply([
        {
          id: "step_1",
          description: "Look up NVIDIA's fiscal 2023 revenue.",
          tool: "search",
          args: { query: "NVIDIA revenue fiscal 2023" },
          expected_output: "NVIDIA's fiscal 2023 revenue in billions of dollars.",
        },
        {
          id: "step_2",
          description: "Look up NVIDIA's fiscal 2024 revenue.",
          tool: "search",
          args: { query: "NVIDIA revenue fiscal 2024" },
          expected_output: "NVIDIA's fiscal 2024 revenue in billions of dollars.",
        },
        {
          id: "step_3",
          description: "Look up AMD's 2023 revenue.",
          tool: "search",
          args: { query: "AMD revenue 2023" },
          expected_output: "AMD's 2023 revenue in billions of dollars.",
        },
        {
          id: "step_4",
          description: "Look up AMD's 2024 revenue.",
          tool: "search",
          args: { query: "AMD revenue 2024" },
          expected_output: "AMD's 2024 revenue in billions of dollars.",
        },
        {
          id: "step_5",
          description: "NVIDIA's revenue growth in fiscal 2024, in percent.",
          tool: "calculator",
          args: { expression: growth("step_1", "step_2") },
          depends_on: ["step_1", "step_2"],
          expected_output: "The growth in percent.",
        },
        {
          id: "step_6",
          description: "AMD's revenue growth in 2024, in percent.",
          tool: "calculator",
          args: { expression: growth("step_3", "step_4") },
          depends_on: ["step_3", "step_4"],
          expected_output: "The growth in percent.",
        },
        {
          id: "step_7",
          description: "Write the investor briefing from the revenues and growth rates.",
          tool: "summarize",
          args: { focus: "A two-sentence briefing for an investor comparing both companies.", maxWords: 60 },
          depends_on: ["step_1", "step_2", "step_3", "step_4", "step_5", "step_6"],
          expected_output: "Both companies' revenues and growth rates, and which grew faster.",
          reflect: true,
        },
      ]),
      // The answer review's round: compute the comparison the first answer made up.
      planReply([
        {
          id: "step_8",
          description: "How many times AMD's growth rate NVIDIA's is.",
          tool: "calculator",
          args: { expression: "{{step_5.output}} / {{step_6.output}}" },
          depends_on: ["step_5", "step_6"],
          expected_output: "The ratio of the two growth rates.",
        },
      ]),
    ],
    executor: [weakDraft, revisedDraft],
    evaluator: [
      {
        structured: {
          pass: false,
          score: 0.4,
          reason:
            "The briefing covers only NVIDIA: add AMD's growth rate (step_6) and both companies' revenues, and " +
            "say which grew faster.",
        },
      },
      {
        structured: {
          pass: true,
          score: 0.9,
          reason: "Both revenues and growth rates match the inputs, and the comparison follows from them.",
        },
      },
      // No reply for the first answer: the checks fail its made-up multiple, so no model is asked.
      ANSWER_APPROVED,
    ],
    synthesizer: [answer, answer],
  },
};
