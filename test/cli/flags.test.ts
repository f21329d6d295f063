import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES, USAGE } from "../../src/cli/flags.js";
import { parseSettingFlags } from "../../src/cli/settings-flags.js";
import { describeWaiting, resumeValue, UsageError } from "../../src/cli/resume-value.js";
import { PlanExecuteContextSchema, resolveSettings } from "../../src/core/settings.js";
import { formatSettings, settingLines } from "../../src/cli/settings-list.js";
import type { ApprovalRequest } from "../../src/core/decisions.js";
import { SCENARIOS } from "../../src/demo/index.js";

describe("CLI flags", () => {
  it("names every bundled scenario in --help without importing them", () => {
    expect([...SCENARIO_NAMES]).toEqual(SCENARIOS.map((s) => s.name));
    for (const name of SCENARIO_NAMES) expect(USAGE).toContain(name);
  });

  it("--set parses JSON values and dotted keys; budget flags are numbers", () => {
    expect(
      parseSettingFlags({
        set: ["critic=all", "maxReplans=3", "prices.my-model.inputPerMTok=1.5", "maxTokens=null"],
        "max-wall-ms": "2000",
      }),
    ).toEqual({
      critic: "all",
      maxReplans: 3,
      prices: { "my-model": { inputPerMTok: 1.5 } },
      maxTokens: null,
      maxWallMs: 2000,
    });
  });

  it("refuses what cannot be a setting", () => {
    expect(() => parseSettingFlags({ set: ["__proto__.x=1"] })).toThrow(/not a setting name/);
    expect(() => parseSettingFlags({ set: ["novalue"] })).toThrow(/KEY=VALUE/);
    expect(() => parseSettingFlags({ "max-tokens": "lots" })).toThrow(/--max-tokens takes a number/);
  });

  it("reaches the plan search settings through --set, and picks a candidate at a plan stop with --pick", () => {
    const settings = parseSettingFlags({
      set: ["planSearch.candidates=3", "planSearch.selection=best_first"],
    });
    expect(resolveSettings(settings).planSearch).toMatchObject({
      candidates: 3,
      selection: "best_first",
      maxNodes: 8,
    });
    expect(() => resolveSettings(parseSettingFlags({ set: ["planSearch.candidates=9"] }))).toThrow(
      /planSearch.candidates/,
    );

    const step = {
      id: "a",
      description: "d",
      tool: "t",
      args: {},
      depends_on: [],
      expected_output: "",
      risk: "LOW" as const,
    };
    const request: ApprovalRequest = {
      type: "plan_approval",
      stop: "s1",
      version: 1,
      steps: [step],
      candidates: [
        { node: "n1", chosen: true, value: 0.8, judge: 0.9, judgeReason: null, features: 0.6, steps: [step] },
        {
          node: "n2",
          chosen: false,
          value: 0.5,
          judge: null,
          judgeReason: null,
          features: 0.5,
          steps: [step],
        },
      ],
      errors: [],
    };
    expect(resumeValue(request, { pick: "n2" })).toEqual({ stop: "s1", action: "pick", candidate: "n2" });
    expect(() => resumeValue(request, { pick: "n2", approve: true })).toThrow(UsageError);
    const text = describeWaiting("th", request);
    expect(text).toContain("candidate n1 (chosen): value 0.80 (judge 0.90, features 0.60) t");
    expect(text).toContain("candidate n2: value 0.50 (no judge score, features 0.50) t");
    expect(text).toContain("--pick NODE");
  });

  it("`plan-execute settings` lists every run setting, each one settable with --set as listed", () => {
    const lines = settingLines();
    const keys = lines.map((l) => l.key);
    for (const key of Object.keys(PlanExecuteContextSchema.shape)) expect(keys).toContain(key);
    for (const key of Object.keys(PlanExecuteContextSchema.shape.planSearch.unwrap().shape))
      expect(keys).toContain(`planSearch.${key}`);
    expect(lines.find((l) => l.key === "critic")).toMatchObject({
      type: "off|llm_steps|all",
      default: '"off"',
    });
    expect(lines.find((l) => l.key === "maxSteps")).toMatchObject({ type: "integer 1..100", default: "12" });
    expect(keys).toContain("prices.<name>.inputPerMTok");

    // Each listed default, given back through --set as a person would type it, is accepted and
    // lands where the key says.
    for (const line of lines) {
      if (!line.default || line.key.includes("<name>") || line.type === "object") continue;
      const typed = line.default.startsWith('"') ? (JSON.parse(line.default) as string) : line.default;
      const settings = resolveSettings(parseSettingFlags({ set: [`${line.key}=${typed}`] }));
      const value = line.key
        .split(".")
        .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], settings);
      expect(value, line.key).toEqual(JSON.parse(line.default));
    }

    const text = formatSettings(80);
    for (const line of text.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(text).toContain("planSearch.selection  uct|best_first");
  });
});
