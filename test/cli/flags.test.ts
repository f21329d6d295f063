import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES, USAGE } from "../../src/cli/flags.js";
import { parseSettingFlags } from "../../src/cli/settings-flags.js";
import { describeWaiting, resumeValue, UsageError } from "../../src/cli/resume-value.js";
import { resolveSettings } from "../../src/core/settings.js";
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
});
