import { describe, expect, it } from "vitest";
import { z } from "zod";
import { calculatorTool } from "../../src/tools/index.js";
import { eventsOf, plan, run, scriptedAgent } from "../helpers/agent.js";
import { fakeTool } from "../helpers/tools.js";
import { fortyTools } from "../fixtures/catalogue.js";

/** The planner's system prompt on its `call`-th call, and the whole prompt. */
const plannerPrompt = (models: { planner: { calls: { messages: { content: unknown }[] }[] } }, call = 0) => {
  const messages = models.planner.calls[call]?.messages ?? [];
  return {
    system: String(messages[0]?.content ?? ""),
    all: messages.map((m) => String(m.content)).join("\n"),
  };
};

// Nothing in it names Slack: the ranking does not pick slack_post_message, yet the plan needs it.
const GOAL = "Let the team know what the weather in Oslo will be tomorrow.";

describe("the planner's tool list", () => {
  it("gives the planner compact signatures, not JSON schemas", async () => {
    const lookup = fakeTool(
      "lookup",
      z.object({ key: z.string().describe("What to look up.") }).strict(),
      () => 1,
    );
    const { agent, models } = scriptedAgent(
      { planner: [plan({ id: "a", tool: "lookup", args: { key: "k" } })], synthesizer: ["ok"] },
      [calculatorTool, lookup],
    );
    const { state } = await run(agent, { goal: "look it up" });
    expect(state.finalAnswer).toBe("ok");
    const { system } = plannerPrompt(models);
    expect(system).toContain("- lookup(key: string) [LOW]: test tool lookup\n    key: What to look up.");
    expect(system).toContain("- calculator(expression: string) [LOW]:");
    expect(system).not.toContain("$schema");
    expect(system).not.toContain("args schema");
  });

  it("shows a 40-tool catalogue's relevant tools in full and names the others", async () => {
    const tools = fortyTools();
    const { agent, models } = scriptedAgent(
      {
        planner: [plan({ id: "a", tool: "weather_forecast", args: { target: "Oslo" } })],
        synthesizer: ["ok"],
      },
      tools,
    );
    await run(agent, { goal: "What will the weather be in Oslo tomorrow, in Fahrenheit?" });
    const { system } = plannerPrompt(models);
    const full = [...system.matchAll(/^- (\w+)\(/gm)].map((m) => m[1]);
    expect(full).toEqual(expect.arrayContaining(["weather_forecast", "weather_current", "unit_convert"]));
    expect(full.length).toBeLessThanOrEqual(6);
    const named = system.split("More tools, by name only")[1]?.split("\n")[0] ?? "";
    expect(named).toContain("github_create_issue");
    expect(named).toContain("slack_post_message");
    expect(system).not.toContain("slack_post_message(");
  });

  it("runs a plan that uses a tool the prompt listed by name only", async () => {
    const tools = fortyTools();
    const slack = tools.find((t) => t.name === "slack_post_message")!;
    const { agent, models } = scriptedAgent(
      {
        planner: [
          plan(
            { id: "a", tool: "weather_forecast", args: { target: "Oslo" } },
            {
              id: "b",
              tool: "slack_post_message",
              args: { channel: "#team", text: "Oslo tomorrow: {{a.output.value}} °C" },
              depends_on: ["a"],
            },
          ),
        ],
        synthesizer: ["posted"],
      },
      tools,
    );
    const { state } = await run(agent, { goal: "What will the weather be in Oslo tomorrow?" });
    expect(plannerPrompt(models).system).not.toContain("slack_post_message(");
    expect(state.finalAnswer).toBe("posted");
    expect(slack.calls).toEqual([{ channel: "#team", text: "Oslo tomorrow: 21 °C" }]);
  });

  it("shows a name-only tool's full signature when a plan gets its arguments wrong, and runs the repair", async () => {
    const tools = fortyTools();
    const slack = tools.find((t) => t.name === "slack_post_message")!;
    const weather = { id: "a", tool: "weather_forecast", args: { target: "Oslo" } };
    const post = (args: Record<string, unknown>) => ({
      id: "b",
      tool: "slack_post_message",
      args,
      depends_on: ["a"],
    });
    const { agent, models } = scriptedAgent(
      {
        planner: [
          // Guessed from the other tools' arguments: refused.
          plan(weather, post({ target: "#team", detail: "{{a.output.value}}" })),
          plan(weather, post({ channel: "#team", text: "Oslo: {{a.output.value}} °C" })),
        ],
        synthesizer: ["posted"],
      },
      tools,
    );
    const { state, events } = await run(agent, { goal: GOAL });
    expect(eventsOf(events, "plan_invalid")).toHaveLength(1);
    expect(plannerPrompt(models, 0).system).not.toContain("slack_post_message(");
    const repair = plannerPrompt(models, 1);
    expect(repair.system).toContain(
      "- slack_post_message(channel: string, text: string) [LOW]: Post a message to a Slack channel.",
    );
    expect(repair.all).toContain('args for "slack_post_message" are invalid');
    expect(state.finalAnswer).toBe("posted");
    expect(slack.calls).toEqual([{ channel: "#team", text: "Oslo: 21 °C" }]);
  });
});
