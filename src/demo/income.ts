import { lastHumanText, money, planReply, resultOf, type Scenario } from "./types.js";

const fact = (step: string, key: string) => `{{${step}.output.results.0.facts.${key}}}`;
const HOUSING = "0.30 * 150000";

export const incomeScenario: Scenario = {
  name: "income",
  title: "San Francisco vs Austin: disposable income on a $150,000 salary",
  goal:
    "Compare the yearly disposable income of a single person earning $150,000 in San Francisco and in Austin, " +
    "after federal, payroll and state income taxes and with housing costing 30% of salary.",
  script: {
    planner: [
      planReply([
        {
          id: "step_1",
          description: "Find the federal income tax on a $150,000 salary.",
          tool: "search",
          args: { query: "federal income tax 150000 salary single filer" },
          expected_output: "The federal income tax in dollars.",
        },
        {
          id: "step_2",
          description: "Find the FICA payroll taxes on a $150,000 salary.",
          tool: "search",
          args: { query: "FICA payroll tax 150000 salary" },
          expected_output: "Social Security plus Medicare tax in dollars.",
        },
        {
          id: "step_3",
          description: "Find California's state income tax on $150,000 (San Francisco).",
          tool: "search",
          args: { query: "California state income tax 150000 San Francisco" },
          expected_output: "The California income tax in dollars.",
        },
        {
          id: "step_4",
          description: "Find Texas's state income tax (Austin).",
          tool: "search",
          args: { query: "Texas state income tax Austin" },
          expected_output: "The Texas income tax in dollars.",
        },
        {
          id: "step_5",
          description: "Disposable income in San Francisco.",
          tool: "calculator",
          args: {
            expression: `150000 - ${fact("step_1", "federal_income_tax_usd")} - ${fact("step_2", "fica_tax_usd")} - ${fact("step_3", "state_income_tax_usd")} - ${HOUSING}`,
          },
          depends_on: ["step_1", "step_2", "step_3"],
          expected_output: "Dollars left per year in San Francisco.",
        },
        {
          id: "step_6",
          description: "Disposable income in Austin.",
          tool: "calculator",
          args: {
            expression: `150000 - ${fact("step_1", "federal_income_tax_usd")} - ${fact("step_2", "fica_tax_usd")} - ${fact("step_4", "state_income_tax_usd")} - ${HOUSING}`,
          },
          depends_on: ["step_1", "step_2", "step_4"],
          expected_output: "Dollars left per year in Austin.",
        },
        {
          id: "step_7",
          description: "How much more is left in Austin than in San Francisco.",
          tool: "calculator",
          args: { expression: "{{step_6.output}} - {{step_5.output}}" },
          depends_on: ["step_5", "step_6"],
          expected_output: "The difference in dollars.",
        },
      ]),
    ],
    synthesizer: [
      (messages) => {
        const prompt = lastHumanText(messages);
        const [sf, austin, diff] = ["step_5", "step_6", "step_7"].map((id) => resultOf(prompt, id));
        return (
          `On a $150,000 salary with housing at 30% of it, a single person keeps about ${money(sf ?? "")} a year ` +
          `in San Francisco [step_5] and ${money(austin ?? "")} in Austin [step_6]: ${money(diff ?? "")} more in Austin ` +
          `[step_7]. The whole gap is California's state income tax [step_3]; Texas has none [step_4], and federal ` +
          `[step_1] and payroll taxes [step_2] are the same in both cities.`
        );
      },
    ],
  },
};
