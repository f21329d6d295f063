import { describe, expect, it } from "vitest";
import { SCENARIO_NAMES, USAGE } from "../../src/cli/flags.js";
import { parseSettingFlags } from "../../src/cli/settings-flags.js";
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
});
