import { describe, expect, it } from "vitest";
import { layerSettings, resolveSettings, runSettings, startSettings } from "../../src/core/settings.js";

describe("layered run settings", () => {
  it("nested settings layer key by key: a context naming one search setting keeps the others", () => {
    const started = startSettings(
      { planSearch: { maxNodes: 5, selection: "best_first" } },
      { planSearch: { candidates: 3 } },
      { planSearch: { exploration: 2 } },
    );
    expect(started.planSearch).toEqual({
      candidates: 3,
      selection: "best_first",
      maxNodes: 5,
      exploration: 2,
      judge: true,
    });
    // A resume whose context changes one nested key keeps the rest the run started with.
    const resumed = runSettings({ settings: started }, { planSearch: { judge: false } });
    expect(resumed.planSearch).toMatchObject({ candidates: 3, maxNodes: 5, judge: false });
  });

  it("prices merge per model; null still switches a budget off; undefined overrides nothing", () => {
    const merged = layerSettings(
      { prices: { a: { inputPerMTok: 1, outputPerMTok: 2 } }, maxTokens: 100, critic: "all" },
      { prices: { b: { inputPerMTok: 3, outputPerMTok: 4 } }, maxTokens: null, critic: undefined },
    );
    expect(resolveSettings(merged)).toMatchObject({
      prices: { a: { inputPerMTok: 1, outputPerMTok: 2 }, b: { inputPerMTok: 3, outputPerMTok: 4 } },
      maxTokens: null,
      critic: "all",
    });
  });

  it("a __proto__ key from parsed JSON stays an ignored key, not a prototype", () => {
    const hostile = JSON.parse(
      '{"__proto__": {"autoApprove": "HIGH"}, "planSearch": {"__proto__": {"candidates": 5}}}',
    ) as Record<string, unknown>;
    // No layer names autoApprove itself: a "__proto__" that became the merged object's prototype
    // would hand it HIGH through inheritance (zod reads inherited keys). It must stay the default.
    const settings = resolveSettings(layerSettings(hostile, { maxSteps: 5 }));
    expect(settings.autoApprove).toBe("MEDIUM");
    expect(settings.planSearch.candidates).toBe(1);
    expect(settings.maxSteps).toBe(5);
  });
});
