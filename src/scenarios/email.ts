import { ratioScenario } from "./ratio.js";
import { lastHumanText, planReply, resultOf, type Scenario, type ScriptStep } from "./types.js";

const ratioSteps = (ratioScenario.script.planner?.[0] as { structured: { steps: Record<string, unknown>[] } })
  .structured.steps;

/** The ratio scenario plus a HIGH-tier email step: the run stops before the email is sent. */
export const emailScenario: Scenario = {
  name: "email",
  title: "Email the NVIDIA/AMD revenue ratio to the team (stops for approval)",
  goal: "Work out how many times larger NVIDIA's 2024 revenue is than AMD's and email the result to team@example.com.",
  script: {
    planner: [
      planReply([
        ...ratioSteps.map(
          (s) => ({ ...s, args: JSON.parse(s.args as string) as Record<string, unknown> }) as ScriptStep,
        ),
        {
          id: "step_5",
          description: "Email the result to the team.",
          tool: "send_email",
          args: {
            to: "team@example.com",
            subject: "NVIDIA vs AMD revenue, 2024",
            body: "NVIDIA's 2024 revenue is {{step_4.output}} times AMD's (NVIDIA ${{step_3.output.nvidia_usd_billion}} billion, AMD ${{step_3.output.amd_usd_billion}} billion).",
          },
          depends_on: ["step_3", "step_4"],
          expected_output: "Confirmation that the email was sent.",
        },
      ]),
    ],
    executor: ratioScenario.script.executor ?? [],
    synthesizer: [
      (messages) => {
        const prompt = lastHumanText(messages);
        const ratio = Number(resultOf(prompt, "step_4"));
        // Succeeded steps are listed before "Failed steps:"; a rejected email appears only after it.
        const sent = (prompt.split("Failed steps:")[0] ?? "").includes("[step_5]");
        return sent
          ? `NVIDIA's 2024 revenue is ${ratio.toFixed(2)} times AMD's [step_4], from the figures in [step_1] and [step_2]; the result was emailed to team@example.com [step_5].`
          : `NVIDIA's 2024 revenue is ${ratio.toFixed(2)} times AMD's [step_4]. The email was not sent [step_5].`;
      },
    ],
  },
};
