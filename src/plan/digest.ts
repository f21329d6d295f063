import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so equal values always give the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** A short, stable fingerprint of a value (16 hex digits of its SHA-256). */
export function digestOf(value: unknown): string {
  return createHash("sha256")
    .update(stableJson(value) ?? "undefined")
    .digest("hex")
    .slice(0, 16);
}

/**
 * What a person approves: this tool with exactly these resolved args. An approval carries the
 * digest of what it was shown, and a step runs on it only while its args still have that digest.
 */
export function actionDigest(tool: string, args: unknown): string {
  return digestOf({ tool, args });
}
