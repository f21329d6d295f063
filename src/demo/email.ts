import { ratioScenario } from "./ratio.js";
import { lastHumanText, planReply, resultOf, type Scenario, type ScriptStep } from "./types.js";

const ratioSteps = (ratioScenario.script.planner?.[0] as { structured: { steps: Record<string, unknown>[] } })
  .structured.steps;

const SUBJECT = "NVIDIA vs AMD revenue, 2024";
const BODY =
  "NVIDIA's 2024 revenue is {{step_4.output}} times AMD's (NVIDIA ${{step_3.output.nvidia_usd_billion}} billion, AMD ${{step_3.output.amd_usd_billion}} billion).";

/** Where the recovery plan saves the email that a person did not let go out. */
export const EMAIL_DRAFT_PATH = "drafts/nvidia-amd-revenue-2024.txt";

/**
 * The ratio scenario plus a HIGH-tier email step: the run stops before the email is sent.
 * Approved, the email goes out. Rejected, the replanner (the planner model's second reply, only
 * ever asked for on that path) keeps the finished steps and saves the email as a draft instead.
 */
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
          args: { to: "team@example.com", subject: SUBJECT, body: BODY },
          depends_on: ["step_3", "step_4"],
          expected_output: "Confirmation that the email was sent.",
        },
      ]),
      // The replanner, after a person rejected step_5: nothing is sent, the email is kept as a draft.
      planReply([
        {
          id: "step_6",
          description:
            "Save the email as a draft in the workspace instead of sending it, since sending was rejected.",
          tool: "write_file",
          args: {
            path: EMAIL_DRAFT_PATH,
            content: `DRAFT (not sent)\nTo: team@example.com\nSubject: ${SUBJECT}\n\n${BODY}\n`,
          },
          depends_on: ["step_3", "step_4"],
          expected_output: "The path of the saved draft.",
        },
      ]),
    ],
    executor: ratioScenario.script.executor ?? [],
    synthesizer: [
      (messages) => {
        const prompt = lastHumanText(messages);
        const ratio = Number(resultOf(prompt, "step_4"));
        // Succeeded steps are listed before "Failed steps:"; a rejected email appears only after it.
        const succeeded = prompt.split("Failed steps:")[0] ?? "";
        if (succeeded.includes("[step_5]")) {
          return `NVIDIA's 2024 revenue is ${ratio.toFixed(2)} times AMD's [step_4], from the figures in [step_1] and [step_2]; the result was emailed to team@example.com [step_5].`;
        }
        if (succeeded.includes("[step_6]")) {
          return (
            `NVIDIA's 2024 revenue is ${ratio.toFixed(2)} times AMD's [step_4], from the figures in [step_1] and [step_2]. ` +
            `The email to team@example.com was not sent, since sending it was rejected; it was saved as a draft in ` +
            `${EMAIL_DRAFT_PATH} [step_6].`
          );
        }
        return `NVIDIA's 2024 revenue is ${ratio.toFixed(2)} times AMD's [step_4]. The email was not sent [step_5].`;
      },
    ],
  },
};
