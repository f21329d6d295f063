/**
 * Where this agent's input tokens go, request by request and part by part (system prompt, user
 * prompt, tool definitions, response format). A companion to bench/tokens.ts:
 *
 *   npx tsx bench/tokens-detail.ts [scenario …] [--dump DIR] [--set '{"critic":"off"}']
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { MemorySaver, Command } from "@langchain/langgraph";
import { getEncoding } from "js-tiktoken";
import { createPlanExecuteAgent } from "../src/agent/agent.js";
import { SCENARIOS } from "../src/demo/index.js";
import { scenarioTools } from "../src/demo/agent.js";
import { localModelSettings, localServerEnv, serveScenario } from "../src/demo/local-server.js";
import { openAIModelProvider } from "../src/models/provider.js";
import type { ChatRequest } from "../src/testing/fake-openai/index.js";
import { ToolRegistry } from "../src/tools/registry.js";
import { requestTokens } from "./tokens.js";

const enc = getEncoding("o200k_base");
const count = (s: string) => (s ? enc.encode(s).length : 0);

const args = process.argv.slice(2);
const dumpAt = args.indexOf("--dump");
const dump = dumpAt >= 0 ? args.splice(dumpAt, 2)[1] : undefined;
const setAt = args.indexOf("--set");
/** Settings over each scenario's own, as JSON (e.g. `{"critic":"off"}`). */
const overrides = setAt >= 0 ? (JSON.parse(args.splice(setAt, 2)[1]!) as Record<string, unknown>) : {};
const names = args;

for (const scenario of SCENARIOS.filter((s) => !names.length || names.includes(s.name))) {
  const root = path.join("/tmp", `tokens-detail-${scenario.name}-${process.pid}`);
  const dirs = { workspace: path.join(root, "workspace"), outbox: path.join(root, "outbox") };
  await scenario.prepare?.(dirs.workspace);
  const server = await serveScenario(scenario);
  const agent = createPlanExecuteAgent({
    models: openAIModelProvider(localServerEnv(server), { maxRetries: 0 }),
    tools: new ToolRegistry(scenarioTools({ ...dirs, latency: false })),
    checkpointer: new MemorySaver(),
  });
  const config = {
    configurable: { thread_id: `detail-${scenario.name}` },
    context: { ...scenario.context, ...overrides, ...localModelSettings() },
  };
  let result = await agent.invoke({ goal: scenario.goal }, config);
  while ((result as { __interrupt__?: unknown[] }).__interrupt__?.length)
    result = await agent.invoke(new Command({ resume: { action: "approve" } }) as never, config);
  let total = 0;
  console.log(`\n== ${scenario.name}`);
  for (const [i, req] of server.chatRequests.entries()) {
    const body = req.body as ChatRequest;
    const t = requestTokens(req);
    total += t.input;
    const parts = body.messages.map((m) => {
      const c =
        typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text ?? "").join("");
      return `${m.role}:${count(c)}`;
    });
    const tools = body.tools?.length ? count(JSON.stringify(body.tools)) : 0;
    const rf =
      body.response_format?.type === "json_schema"
        ? count(JSON.stringify(body.response_format.json_schema))
        : 0;
    console.log(
      `${String(i).padStart(2)} ${body.model.padEnd(24)} in ${String(t.input).padStart(5)} out ${String(t.output).padStart(4)}  ${parts.join(" ")} tools:${tools} format:${rf}`,
    );
    if (dump) {
      await mkdir(path.join(dump, scenario.name), { recursive: true });
      await writeFile(
        path.join(dump, scenario.name, `${String(i).padStart(2, "0")}-${body.model}.json`),
        JSON.stringify({ body, answer: req.answer }, null, 2),
      );
    }
  }
  console.log(`total input ${total}`);
  await server.close();
}
