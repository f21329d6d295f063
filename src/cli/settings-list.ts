import { z } from "zod";
import { PlanExecuteContextSchema } from "../core/settings.js";

/** One run setting as `plan-execute settings` lists it: a dotted key, its type, default and meaning. */
export interface SettingLine {
  key: string;
  type: string;
  default: string;
  description: string;
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  anyOf?: JsonSchema[];
}

function typeOf(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v).replaceAll('"', "")).join("|");
  if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
  const types = (Array.isArray(s.type) ? s.type : [s.type ?? "any"]).map((t) => {
    if (t !== "integer" && t !== "number") return t;
    // zod writes int() as the safe-integer range: only bounds a setting chose are worth showing.
    const lo = s.minimum !== undefined && s.minimum > Number.MIN_SAFE_INTEGER ? s.minimum : undefined;
    const hi = s.maximum !== undefined && s.maximum < Number.MAX_SAFE_INTEGER ? s.maximum : undefined;
    const above = s.exclusiveMinimum;
    if (lo !== undefined && hi !== undefined) return `${t} ${lo}..${hi}`;
    if (lo !== undefined) return `${t} ≥ ${lo}`;
    if (above !== undefined) return `${t} > ${above}`;
    if (hi !== undefined) return `${t} ≤ ${hi}`;
    return t;
  });
  return types.join(" | ");
}

/**
 * Every run setting, nested ones under their dotted keys (`planSearch.candidates`), read from the
 * settings schema itself, so the list can't drift from what `--set` accepts. A record (`prices`)
 * is shown with `<name>` where its keys go.
 */
export function settingLines(): SettingLine[] {
  const root = z.toJSONSchema(PlanExecuteContextSchema, {
    io: "input",
    unrepresentable: "any",
  }) as JsonSchema;
  const lines: SettingLine[] = [];
  const walk = (props: Record<string, JsonSchema>, prefix: string) => {
    for (const [name, s] of Object.entries(props)) {
      const key = `${prefix}${name}`;
      const nested = s.properties && Object.keys(s.properties).length > 0;
      const record = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
      lines.push({
        key,
        type: nested || record ? "object" : typeOf(s),
        default: s.default === undefined ? "" : JSON.stringify(s.default),
        description: s.description ?? "",
      });
      if (nested) walk(s.properties!, `${key}.`);
      if (record?.properties) walk(record.properties, `${key}.<name>.`);
    }
  };
  walk(root.properties ?? {}, "");
  return lines;
}

/** The listing `plan-execute settings` prints, wrapped to `width` columns. */
export function formatSettings(width = 100): string {
  const out: string[] = [
    "Run settings: `run` and `demo` take each as --set KEY=VALUE",
    "(JSON values; dotted keys for nested ones).",
    "",
  ];
  for (const line of settingLines()) {
    const head = [line.key, line.type, line.default && `default ${line.default}`].filter(Boolean).join("  ");
    out.push(head);
    const words = line.description.split(/\s+/).filter(Boolean);
    let current = "   ";
    for (const word of words) {
      if (current.length + word.length + 1 > width && current.trim()) {
        out.push(current);
        current = "   ";
      }
      current += ` ${word}`;
    }
    if (current.trim()) out.push(current);
  }
  return out.join("\n");
}
