import { lastHumanText, planReply, resultOf, type Scenario } from "./types.js";

/**
 * The planner "forgets" to look up Austin's land area, so the calculator step fails on an
 * undefined symbol; the replanner keeps the finished population search and adds what was missing.
 */
export const recoverScenario: Scenario = {
  name: "recover",
  title: "Austin's population density, recovering from a failed step",
  goal: "What is the population density of Austin, Texas, in people per square mile?",
  script: {
    planner: [
      planReply([
        {
          id: "step_1",
          description: "Find Austin's population.",
          tool: "search",
          args: { query: "Austin population" },
          expected_output: "Austin's population.",
        },
        {
          id: "step_2",
          description: "Divide the population by the land area.",
          tool: "calculator",
          args: { expression: "{{step_1.output.results.0.facts.population}} / austin_land_area_sq_mi" },
          depends_on: ["step_1"],
          expected_output: "People per square mile.",
        },
      ]),
      planReply([
        {
          id: "step_3",
          description: "Find Austin's land area, which the failed step lacked.",
          tool: "search",
          args: { query: "Austin land area square miles" },
          expected_output: "Austin's land area in square miles.",
        },
        {
          id: "step_4",
          description: "Divide the population by the land area.",
          tool: "calculator",
          args: {
            expression:
              "{{step_1.output.results.0.facts.population}} / {{step_3.output.results.0.facts.land_area_sq_mi}}",
          },
          depends_on: ["step_1", "step_3"],
          expected_output: "People per square mile.",
        },
      ]),
    ],
    synthesizer: [
      (messages) => {
        const density = Number(resultOf(lastHumanText(messages), "step_4"));
        return (
          `Austin has about ${Math.round(density).toLocaleString("en-US")} people per square mile [step_4], from its ` +
          `population [step_1] and land area [step_3]. The first attempt (step_2) failed because the land area had ` +
          `not been looked up; the recovery plan added that search.`
        );
      },
    ],
  },
};
