import type { BaseMessage } from "@langchain/core/messages";
import type { AnomaliesOutput, DescribeOutput, GroupByOutput } from "../tools/data.js";
import { createDataTools } from "../tools/data.js";
import { readCompactText } from "./compact-read.js";
import { copySampleSalesCsv } from "./sample-data.js";
import { DEFAULT_WORKSPACE } from "../tools/files.js";
import { summarizeTool } from "../tools/summarize.js";
import type { PlanTool } from "../tools/types.js";
import { ANSWER_APPROVED, lastHumanText, money, planReply, resultOf, type Scenario } from "./types.js";

/** The file the scenario analyses, relative to the workspace. */
export const SALES_FILE = "sales.csv";

/** Copies the bundled sample sales CSV into the workspace as {@link SALES_FILE}. */
export function prepareSalesWorkspace(workspace: string = DEFAULT_WORKSPACE): Promise<string> {
  return copySampleSalesCsv(workspace, SALES_FILE);
}

/** The tools the scenario's plan uses, reading from `workspace`. */
export function salesScenarioTools(workspace: string = DEFAULT_WORKSPACE): PlanTool<any>[] {
  return [...createDataTools({ workspace }), summarizeTool];
}

/** A data tool's output as a summarize prompt shows it (`[step_id] description`, then its compact text). */
function blockJson<T>(prompt: string, stepId: string): T | null {
  const block = resultOf(prompt, stepId);
  try {
    return readCompactText(block) as T;
  } catch {
    return null;
  }
}

const pct = (share: number | undefined) => `${Math.round((share ?? 0) * 100)}%`;

/** The executive summary a model would write from the statistics, computed from the summarize prompt. */
function executiveSummary(messages: BaseMessage[]): string {
  const prompt = lastHumanText(messages);
  const described = blockJson<DescribeOutput>(prompt, "step_2");
  const anomalies = blockJson<AnomaliesOutput>(prompt, "step_3");
  const regions = blockJson<GroupByOutput>(prompt, "step_4");
  if (!described || !anomalies || !regions)
    return "The statistics could not be read, so no summary can be given.";
  const total = regions.groups.reduce((sum, g) => sum + g.value, 0);
  const [first, second] = regions.groups;
  const last = regions.groups.at(-1);
  const revenue = described.numeric.revenue;
  const rows = new Map<number, AnomaliesOutput["anomalies"]>();
  for (const a of anomalies.anomalies) rows.set(a.index, [...(rows.get(a.index) ?? []), a]);
  const flagged = [...rows.values()].map((hits) => {
    const row = hits[0]?.row ?? {};
    const what = hits.map(
      (h) => `${h.column} ${h.column === "revenue" ? money(h.value) : h.value} (z ${h.zScore})`,
    );
    return `${String(row.region)} ${String(row.product)} in ${String(row.month)}: ${what.join(", ")}`;
  });
  return (
    `Total revenue across ${described.rowCount} region-product-months was ${money(total)}. ` +
    `${first?.key} leads with ${money(first?.value ?? 0)} (${pct(first?.share)}), ahead of ${second?.key} ` +
    `(${money(second?.value ?? 0)}, ${pct(second?.share)}); ${last?.key} trails at ${money(last?.value ?? 0)} ` +
    `(${pct(last?.share)}). A typical month brings ${money(revenue?.median ?? 0)} per region and product ` +
    `(median; mean ${money(revenue?.mean ?? 0)}). ${rows.size} rows stand more than ${anomalies.threshold} ` +
    `standard deviations from their column mean and should be checked before these figures are reported: ` +
    `${flagged.join("; ")}.`
  );
}

export const salesScenario: Scenario = {
  name: "sales",
  title: "Analyse a sales CSV and write an executive summary",
  goal:
    `Analyse the sales file ${SALES_FILE} in the workspace and write an executive summary: total revenue, ` +
    "which regions lead, and any anomalies worth checking.",
  context: { critic: "llm_steps" },
  prepare: prepareSalesWorkspace,
  script: {
    planner: [
      planReply([
        {
          id: "step_1",
          description: `Load ${SALES_FILE} from the workspace.`,
          tool: "load_csv",
          args: { path: SALES_FILE },
          expected_output: "The rows of the file with region, product, month, units and revenue.",
        },
        {
          id: "step_2",
          description: "Summary statistics of units and revenue.",
          tool: "describe_data",
          args: { rows: "{{step_1.output.rows}}" },
          depends_on: ["step_1"],
          expected_output: "Count, mean, std, min, quartiles and max of the numeric columns.",
        },
        {
          id: "step_3",
          description: "Find values more than 3 standard deviations from their column mean.",
          tool: "find_anomalies",
          args: { rows: "{{step_1.output.rows}}" },
          depends_on: ["step_1"],
          expected_output: "The anomalous rows with their z-scores.",
        },
        {
          id: "step_4",
          description: "Total revenue per region.",
          tool: "group_by",
          args: { rows: "{{step_1.output.rows}}", by: "region", value: "revenue", agg: "sum" },
          depends_on: ["step_1"],
          expected_output: "Revenue and share of the total per region, largest first.",
        },
        {
          id: "step_5",
          description:
            "Write the executive summary from the statistics, the regional totals and the anomalies.",
          tool: "summarize",
          args: {
            focus:
              "An executive summary for the sales director: total revenue, leading regions, anomalies to check.",
            maxWords: 150,
          },
          depends_on: ["step_2", "step_3", "step_4"],
          expected_output: "A short paragraph with the total, the regional ranking and the anomalies.",
        },
      ]),
    ],
    executor: [executiveSummary],
    evaluator: [
      {
        structured: { pass: true, score: 0.9, reason: "The summary states the figures the steps computed." },
      },
      ANSWER_APPROVED,
    ],
    synthesizer: [
      (messages) => {
        const prompt = lastHumanText(messages);
        return (
          `${resultOf(prompt, "step_5")} [step_5]\n\nThe regional totals come from [step_4], the statistics from ` +
          `[step_2] and the anomalies from [step_3], all computed over the ${SALES_FILE} rows loaded in [step_1].`
        );
      },
    ],
  },
};
