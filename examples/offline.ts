/**
 * Scripted models for the examples' offline mode. The tools are real (the bundled search corpus
 * and the calculator), so every number in the answer comes from a tool; only what the models
 * "say" is scripted: the planner's plan, and a synthesizer that writes from the step results in
 * its prompt, as a model would.
 */
import type { BaseMessage } from "@langchain/core/messages";
import { encodePlan } from "../src/index.js";
import { scriptedRoles, type ScriptedReply } from "../src/testing/index.js";

export const REVENUE_GOAL = "How many times larger was NVIDIA's fiscal 2024 revenue than AMD's 2024 revenue?";

const step = (
  id: string,
  description: string,
  tool: string,
  args: Record<string, unknown>,
  depends_on: string[] = [],
) => ({
  id,
  description,
  tool,
  args,
  depends_on,
  expected_output: "A number, or a source that states it.",
});

/** The plan a planner writes for {@link REVENUE_GOAL}: two searches in parallel, then a division. */
export const REVENUE_PLAN = encodePlan([
  step("nvda", "Find NVIDIA's fiscal 2024 revenue.", "search", {
    query: "NVIDIA fiscal 2024 revenue",
    limit: 1,
  }),
  step("amd", "Find AMD's 2024 revenue.", "search", { query: "AMD full-year 2024 revenue", limit: 1 }),
  step(
    "ratio",
    "Divide NVIDIA's revenue by AMD's.",
    "calculator",
    {
      expression:
        "round({{nvda.output.results.0.facts.revenue_usd_billion}} / {{amd.output.results.0.facts.revenue_usd_billion}}, 2)",
    },
    ["nvda", "amd"],
  ),
]);

/** The output the synthesizer prompt shows for a step: the lines after `[id] description`, to a blank line. */
function outputOf(messages: BaseMessage[], id: string): string {
  const prompt = messages.map((m) => m.text).join("\n");
  return new RegExp(`\\[${id}\\][^\\n]*\\n((?:.+\\n?)*)`).exec(prompt)?.[1]?.trim() ?? "(missing)";
}

/** The revenue a search step's top result states, read off its text as a model would read it. */
const revenueOf = (messages: BaseMessage[], id: string) =>
  /revenue of \$([\d.]+) billion/.exec(outputOf(messages, id))?.[1] ?? "(missing)";

/** The final answer, written from the step results. */
export const revenueAnswer: ScriptedReply = (messages) =>
  `NVIDIA's fiscal 2024 revenue ($${revenueOf(messages, "nvda")} billion) [nvda] was ` +
  `${outputOf(messages, "ratio")} times AMD's 2024 revenue ($${revenueOf(messages, "amd")} billion) [amd] [ratio].`;

/** Scripted models for `runs` runs of {@link REVENUE_GOAL}. */
export function revenueModels(runs = 1) {
  return scriptedRoles({
    planner: Array.from({ length: runs }, () => ({ structured: REVENUE_PLAN })),
    synthesizer: Array.from({ length: runs }, () => revenueAnswer),
  });
}
