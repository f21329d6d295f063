import { ToolMessage } from "@langchain/core/messages";
import { ToolInputParsingException, type StructuredToolInterface } from "@langchain/core/tools";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { isZodSchemaV3, isZodSchemaV4 } from "@langchain/core/utils/types";
import { z } from "zod";
import { parseIfJsonObject } from "./llm.js";
import { ToolInputError, type PlanTool, type RiskTier } from "./types.js";

export interface FromLangChainToolOptions {
  /** Overrides the run's per-step timeout for this tool. */
  timeoutMs?: number;
  /** Appended to the tool's description (e.g. where it comes from). */
  descriptionSuffix?: string;
}

const AnyObject = z.record(z.string(), z.unknown());

/**
 * The args schema of a PlanTool for a LangChain tool's schema: a zod 4 schema is used as it is;
 * a zod 3 schema or a JSON schema (what MCP tools have) is converted through JSON Schema, so the
 * planner prompt still shows every field; anything else accepts any object.
 */
export function planSchemaOf(schema: unknown): z.ZodType<Record<string, unknown>> {
  try {
    if (isZodSchemaV4(schema) && typeof (schema as { safeParse?: unknown }).safeParse === "function") {
      return schema as unknown as z.ZodType<Record<string, unknown>>;
    }
    if (isZodSchemaV3(schema)) {
      return z.fromJSONSchema(toJsonSchema(schema) as never) as z.ZodType<Record<string, unknown>>;
    }
    if (schema !== null && typeof schema === "object" && (schema as { type?: unknown }).type === "object") {
      const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
      return z.fromJSONSchema(rest as never) as z.ZodType<Record<string, unknown>>;
    }
  } catch {
    // A schema zod cannot rebuild: validation is left to the tool itself.
  }
  return AnyObject;
}

interface TextBlock {
  type: "text";
  text: string;
}

function isTextBlock(value: unknown): value is TextBlock {
  return (
    value !== null &&
    typeof value === "object" &&
    (value as { type?: unknown }).type === "text" &&
    typeof (value as { text?: unknown }).text === "string"
  );
}

/**
 * A LangChain tool's result as step output: a ToolMessage becomes its content, text content
 * blocks their text, MCP structured content that object; text holding a JSON object is parsed
 * so later steps can reference its fields.
 */
export function normalizeToolOutput(output: unknown): unknown {
  if (ToolMessage.isInstance(output)) return normalizeToolOutput(output.content);
  if (typeof output === "string") return parseIfJsonObject(output);
  if (Array.isArray(output) && output.length > 0 && output.every(isTextBlock)) {
    return parseIfJsonObject(output.map((b) => b.text).join("\n"));
  }
  if (output !== null && typeof output === "object" && "structuredContent" in output) {
    return (output as { structuredContent: unknown }).structuredContent;
  }
  if (isTextBlock(output)) return parseIfJsonObject(output.text);
  return output;
}

/**
 * Wraps a LangChain tool (anything implementing `StructuredToolInterface`: `tool(...)`,
 * `DynamicStructuredTool`, community and MCP tools) as a PlanTool. A tool passed without a
 * risk tier is HIGH: the agent cannot know what it does.
 */
export function fromLangChainTool(
  tool: StructuredToolInterface,
  risk: RiskTier = "HIGH",
  options: FromLangChainToolOptions = {},
): PlanTool {
  const description = [tool.description, options.descriptionSuffix].filter(Boolean).join(" ");
  return {
    name: tool.name,
    description: description || `The ${tool.name} tool.`,
    schema: planSchemaOf(tool.schema),
    risk,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    async run(args, ctx) {
      try {
        const output: unknown = await tool.invoke(args, { signal: ctx.signal });
        return normalizeToolOutput(output);
      } catch (err) {
        if (err instanceof ToolInputParsingException) {
          throw new ToolInputError(`${tool.name}: ${err.message}`);
        }
        throw err;
      }
    },
  };
}
