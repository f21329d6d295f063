import { lastHumanText, planReply, resultOf, type Scenario, type ScriptStep } from "./types.js";

const POPULATION: ScriptStep = {
  id: "step_1",
  description: "Find Austin's population.",
  tool: "search",
  args: { query: "Austin population" },
  expected_output: "Austin's population.",
};

/** A planner reply with several candidate plans (the plan search's one call). */
function candidatesReply(...plans: ScriptStep[][]) {
  return {
    structured: {
      candidates: plans.map((steps) => (planReply(steps) as { structured: unknown }).structured),
    },
  };
}

/**
 * Plan search: the planner proposes two candidate plans in one call and the value judge prefers
 * the shorter one, which divides by a land area it never looked up and fails. The search moves to
 * the sibling candidate without asking the planner again: the population search it shares with the
 * failed plan is reused (same tool, same args), and only the land-area search and the division run.
 */
export const searchScenario: Scenario = {
  name: "search",
  title: "Austin's people per square mile, recovering through another candidate plan",
  goal: "How many people live per square mile in Austin, Texas?",
  context: { planSearch: { candidates: 2, selection: "uct" } },
  script: {
    planner: [
      candidatesReply(
        [
          POPULATION,
          {
            id: "step_2",
            description: "Divide the population by Austin's land area.",
            tool: "calculator",
            args: { expression: "{{step_1.output.results.0.facts.population}} / austin_land_area_sq_mi" },
            depends_on: ["step_1"],
            expected_output: "People per square mile.",
          },
        ],
        [
          POPULATION,
          {
            id: "step_2",
            description: "Find Austin's land area in square miles.",
            tool: "search",
            args: { query: "Austin land area square miles" },
            expected_output: "Austin's land area in square miles.",
          },
          {
            id: "step_3",
            description: "Divide the population by the land area.",
            tool: "calculator",
            args: {
              expression:
                "{{step_1.output.results.0.facts.population}} / {{step_2.output.results.0.facts.land_area_sq_mi}}",
            },
            depends_on: ["step_1", "step_2"],
            expected_output: "People per square mile.",
          },
        ],
      ),
    ],
    evaluator: [
      {
        structured: {
          scores: [
            { candidate: 1, score: 0.85, reason: "Two steps, and the calculator does the arithmetic." },
            { candidate: 2, score: 0.7, reason: "Looks up both inputs; one step more." },
          ],
        },
      },
    ],
    synthesizer: [
      (messages) => {
        const density = Number(resultOf(lastHumanText(messages), "step_3"));
        return (
          `Austin has about ${Math.round(density).toLocaleString("en-US")} people per square mile [step_3], from its ` +
          `population [step_1] and land area [step_2_n2]. The first candidate plan failed because it divided by a ` +
          `land area it had not looked up; the search switched to the second candidate and reused the population search.`
        );
      },
    ],
  },
};
