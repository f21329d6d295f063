import {
  AIMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
  type BaseMessage,
} from "@langchain/core/messages";
import { z } from "zod";
import { textOf, usageOf } from "../models/structured.js";
import { CONFIDENCE_REQUEST, takeConfidence } from "./confidence.js";
import { clipText, MAX_LLM_ANSWER_CHARS } from "./limits.js";
import { cutText, fenced, fencedAfterLabel, oneLine, stepBlocks, stepOutputText } from "./prompt-text.js";
import {
  ToolInputError,
  type PlanTool,
  type StepRevision,
  type SubAgentHost,
  type ToolContext,
} from "./types.js";

/** Most tools one LLM step's allowlist may name. */
export const MAX_SUBAGENT_TOOLS = 8;

const LlmArgs = z
  .object({
    prompt: z
      .string()
      .max(20_000)
      .default("")
      .describe("Extra instructions for this step; may embed {{step_id.output}} references. Optional."),
    tools: z
      .array(z.string())
      .max(MAX_SUBAGENT_TOOLS)
      .default([])
      .describe(
        "Optional allowlist of tool names this step may call itself, as a small tool-calling agent (e.g. " +
          '["search", "calculator"]); use when the step must look things up or compute while it reasons. ' +
          "Empty (default): the model only reasons over its inputs.",
      ),
  })
  .strict();

/**
 * An LLM step: the executor model gets the goal, the step's description and expected output, the
 * outputs of its dependencies, and any extra prompt. Used for extraction, comparison and writing.
 */
export const llmTool: PlanTool<z.output<typeof LlmArgs>> = {
  name: "llm",
  description:
    "Ask the executor language model to reason over the outputs of the steps it depends on (extract, compare, summarise, write). " +
    `Not for arithmetic: use calculator. Answers over ${MAX_LLM_ANSWER_CHARS} characters are cut off.`,
  schema: LlmArgs as unknown as z.ZodType<z.output<typeof LlmArgs>>,
  risk: "LOW",
  pinned: true,
  usesModel: true,
  reflect: true,
  planIssues(args, toolNames) {
    const issues: string[] = [];
    for (const name of args.tools) {
      if (name === "llm") issues.push(`tools: an llm step cannot call llm (no nested sub-agents)`);
      else if (!toolNames.includes(name))
        issues.push(`tools: unknown tool "${name}" in the allowlist; available: ${toolNames.join(", ")}`);
    }
    if (new Set(args.tools).size !== args.tools.length) issues.push("tools: a tool is named twice");
    return issues;
  },
  async run(args, ctx) {
    const inputs = stepBlocks(
      ctx.dependencies.map((d) => ({
        id: d.id,
        description: d.description,
        tool: d.tool,
        text: d.text ?? stepOutputText(d.output, undefined, Number.POSITIVE_INFINITY),
      })),
    );
    const messages = [
      new SystemMessage(
        "You carry out one step of a larger plan. Answer with the step's result only, in the form the expected output asks for.",
      ),
      new HumanMessage(
        [
          `Overall goal: ${ctx.goal}`,
          `This step: ${oneLine(ctx.step.description)}`,
          `Expected output: ${oneLine(ctx.step.expected_output)}`,
          inputs ? `Inputs from earlier steps:\n${inputs}` : "",
          // Fenced: a reference in the instructions ({{step_1.output}}) inserts an output as it is.
          args.prompt ? `Instructions: ${fencedAfterLabel(args.prompt)}` : "",
          ctx.revision ? revisionRequest(ctx.revision) : "",
          ctx.confidence ? CONFIDENCE_REQUEST : "",
        ]
          .filter(Boolean)
          .join("\n\n"),
      ),
    ];
    let text: string;
    if (args.tools.length > 0) {
      text = await runSubAgent(messages, args.tools, ctx);
    } else {
      const reply = await ctx.model.invoke(messages, { signal: ctx.signal });
      ctx.reportUsage(usageOf(reply, ctx.model));
      text = textOf(reply);
    }
    if (ctx.confidence) {
      const taken = takeConfidence(text);
      ctx.confidence.report(taken.raw);
      text = taken.text;
    }
    // A cut-off JSON object would not parse: an answer over the cap is returned as clipped text.
    return text.length > MAX_LLM_ANSWER_CHARS
      ? clipText(text, MAX_LLM_ANSWER_CHARS)
      : parseIfJsonObject(text);
  },
};

/** A model turn as it is saved (the result of one durable task): what the model said and asked for. */
interface SavedTurn {
  text: string;
  calls: { id: string; name: string; args: Record<string, unknown> }[];
  usage: ReturnType<typeof usageOf>;
}

/**
 * The step as a bounded tool-calling loop on the executor model: each turn the model answers or
 * calls tools from its allowlist; each call goes through the run (`ctx.subAgent`), which refuses
 * tools outside the allowlist, asks a person for risky ones and runs the rest durably; the result
 * (or the refusal) goes back to the model. A model that is still calling tools at the turn bound
 * fails the step, saying so.
 */
async function runSubAgent(messages: BaseMessage[], allowed: string[], ctx: ToolContext): Promise<string> {
  const host: SubAgentHost | undefined = ctx.subAgent;
  if (!host)
    throw new ToolInputError("this llm step has a tool allowlist, but the run offers no sub-agent host");
  if (!ctx.model.bindTools) throw new ToolInputError("the executor model cannot call tools");
  const model = ctx.model.bindTools(host.describe(allowed) as never);
  const conversation: BaseMessage[] = [
    ...messages,
    new HumanMessage(
      `You may call these tools: ${allowed.join(", ")}. Call them when you need their results; when you ` +
        "have what you need, answer with the step's result only (no tool call).",
    ),
  ];
  for (let turn = 1; turn <= host.maxTurns; turn++) {
    const saved = await host.turn<SavedTurn>(turn, async () => {
      const reply = await model.invoke(conversation, { signal: ctx.signal });
      return {
        text: textOf(reply),
        calls: (reply.tool_calls ?? []).map((c, i) => ({
          id: c.id ?? `call_${turn}_${i}`,
          name: c.name,
          args: c.args,
        })),
        usage: usageOf(reply, ctx.model),
      };
    });
    ctx.reportUsage(saved.usage);
    if (saved.calls.length === 0) return saved.text;
    conversation.push(
      new AIMessage({
        content: saved.text,
        tool_calls: saved.calls.map((c) => ({ ...c, type: "tool_call" as const })),
      }),
    );
    for (const call of saved.calls) {
      const result = await host.call(turn, call.name, call.args);
      conversation.push(new ToolMessage({ content: result, tool_call_id: call.id, name: call.name }));
    }
  }
  throw new ToolInputError(
    `the sub-agent was still calling tools after ${host.maxTurns} turns (maxSubAgentTurns); it was stopped without an answer`,
  );
}

/** MAX draft characters shown back to the model when it revises. */
const MAX_DRAFT_CHARS = 12_000;

/**
 * The part of an LLM step's prompt that asks for a revision: the draft the critic sent back and its
 * feedback. Shared by the tools that write with a model (`llm`, `summarize`).
 */
export function revisionRequest(revision: StepRevision): string {
  // Fenced: the draft is the model's own text, written from inputs that may come from outside; a
  // line of it must not pass for the reviewer's feedback below it.
  const draft = fenced(typeof revision.draft === "string" ? revision.draft : JSON.stringify(revision.draft));
  const shown = cutText(draft, MAX_DRAFT_CHARS);
  return (
    `Your previous draft:\n${shown}\n\n` +
    // The feedback fenced too: the critic wrote it after reading the step's inputs, which may come
    // from outside.
    `A reviewer sent it back with this feedback: ${fencedAfterLabel(revision.feedback)}\n\n` +
    "Write a better version that addresses the feedback, in the same form. Answer with the new version only."
  );
}

/**
 * An answer that is a JSON object (optionally in a ```json fence) is kept as that object, so that
 * later steps can reference its fields (`{{step_3.output.total}}`); any other answer stays text.
 */
export function parseIfJsonObject(text: string): unknown {
  const body = text
    .trim()
    .replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, "$1")
    .trim();
  if (!body.startsWith("{")) return text;
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}
