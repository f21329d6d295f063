import { UsageError } from "./resume-value.js";

/** Budget flags and the settings they set. */
const BUDGET_FLAGS = {
  "max-tokens": "maxTokens",
  "max-cost-usd": "maxCostUsd",
  "max-steps-executed": "maxStepsExecuted",
  "max-wall-ms": "maxWallMs",
} as const;

export const SETTING_FLAGS_HELP =
  "--max-tokens N --max-cost-usd USD --max-steps-executed N --max-wall-ms MS, and --set KEY=VALUE for any\n" +
  "  run setting (repeatable; dotted keys for nested ones, e.g. --set planSearch.candidates=3);\n" +
  "  `plan-execute settings` lists every one with its type, default and meaning";

/** A value as typed: JSON where it parses (numbers, booleans, null, objects), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * `--set key=value` (and the budget flags) as a partial settings object. Keys are checked later
 * against the settings schema, where an unknown key or a wrong value gets a message naming it.
 */
export function parseSettingFlags(flags: {
  set?: string[] | undefined;
  [flag: string]: unknown;
}): Record<string, unknown> {
  const settings: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [flag, key] of Object.entries(BUDGET_FLAGS)) {
    const value = flags[flag];
    if (typeof value !== "string") continue;
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n))
      throw new UsageError(`--${flag} takes a number (got "${value}")`);
    settings[key] = n;
  }
  for (const item of flags.set ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set takes KEY=VALUE (got "${item}")`);
    const path = item.slice(0, eq).split(".");
    if (path.some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype")) {
      throw new UsageError(`--set: "${item.slice(0, eq)}" is not a setting name`);
    }
    let target = settings;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (next === undefined) target[part] = Object.create(null) as Record<string, unknown>;
      else if (typeof next !== "object" || next === null)
        throw new UsageError(`--set: "${item.slice(0, eq)}" nests inside a value that is not an object`);
      target = target[part] as Record<string, unknown>;
    }
    target[path.at(-1) as string] = parseValue(item.slice(eq + 1));
  }
  return { ...settings };
}
