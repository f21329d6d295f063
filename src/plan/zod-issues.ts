import type { z } from "zod";

/**
 * Each issue of a zod error as `path.to.field: message`, with `root` naming an empty path — the
 * one way every refusal (settings, decisions, plans, tool args, model answers, MCP configs) says
 * what is wrong and where. `prefix` goes before each path (a nested document's place).
 */
export function zodIssueLines(
  issues: readonly z.core.$ZodIssue[],
  root = "(root)",
  prefix: readonly (string | number)[] = [],
): string[] {
  return issues.map((issue) => {
    const at = [...prefix, ...issue.path].map(String).join(".");
    return `${at || root}: ${issue.message}`;
  });
}
