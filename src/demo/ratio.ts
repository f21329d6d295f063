import type { BaseMessage } from "@langchain/core/messages";
import { ANSWER_APPROVED, lastHumanText, planReply, resultOf, type Scenario } from "./types.js";

/** Reads "$60.92 billion" for each dependency block of an LLM-step prompt, as a model would. */
function extractRevenues(messages: BaseMessage[]): string {
  const prompt = lastHumanText(messages);
  const figure = (stepId: string) => {
    const block = prompt.split(`[${stepId}]`)[1] ?? "";
    const match = block.match(/\$([\d.]+) billion/);
    return match ? Number(match[1]) : null;
  };
  return JSON.stringify({ nvidia_usd_billion: figure("step_1"), amd_usd_billion: figure("step_2") });
}

export const ratioScenario: Scenario = {
  name: "ratio",
  title: "NVIDIA vs AMD: 2024 revenue and their ratio",
  goal: "Find NVIDIA's and AMD's 2024 revenue and compute how many times larger NVIDIA's is.",
  context: { critic: "llm_steps" },
  script: {
    planner: [
      planReply([
        {
          id: "step_1",
          description: "Look up NVIDIA's fiscal 2024 revenue.",
          tool: "search",
          args: { query: "NVIDIA revenue fiscal 2024" },
          expected_output: "A source stating NVIDIA's fiscal 2024 revenue in billions of dollars.",
        },
        {
          id: "step_2",
          description: "Look up AMD's 2024 revenue.",
          tool: "search",
          args: { query: "AMD revenue 2024" },
          expected_output: "A source stating AMD's 2024 revenue in billions of dollars.",
        },
        {
          id: "step_3",
          description: "Extract both revenue figures as numbers.",
          tool: "llm",
          args: { prompt: 'Answer as JSON: {"nvidia_usd_billion": number, "amd_usd_billion": number}' },
          depends_on: ["step_1", "step_2"],
          expected_output: "JSON with both revenues in billions of US dollars.",
        },
        {
          id: "step_4",
          description: "Divide NVIDIA's revenue by AMD's.",
          tool: "calculator",
          args: { expression: "{{step_3.output.nvidia_usd_billion}} / {{step_3.output.amd_usd_billion}}" },
          depends_on: ["step_3"],
          expected_output: "The ratio as a number.",
        },
      ]),
    ],
    executor: [extractRevenues],
    evaluator: [
      {
        structured: {
          pass: true,
          score: 0.95,
          reason: "Both figures are present and match the cited sources.",
        },
      },
      // The answer review (the critic is on, so a model reviews the answer too).
      ANSWER_APPROVED,
    ],
    synthesizer: [
      (messages) => {
        const prompt = lastHumanText(messages);
        const figures = JSON.parse(resultOf(prompt, "step_3")) as Record<string, number>;
        const ratio = Number(resultOf(prompt, "step_4"));
        return (
          `NVIDIA's fiscal 2024 revenue was $${figures.nvidia_usd_billion} billion [step_1] and AMD's 2024 revenue ` +
          `was $${figures.amd_usd_billion} billion [step_2] (figures extracted in [step_3]). NVIDIA's revenue is ` +
          `${ratio.toFixed(2)} times AMD's [step_4].`
        );
      },
    ],
  },
};
