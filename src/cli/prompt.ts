import { createInterface } from "node:readline/promises";
import type { ApprovalRequest } from "../core/decisions.js";
import { describeWaiting, resumeValue, UsageError } from "./resume-value.js";

/** Asks at a terminal prompt how to answer a stop; returns the resume value. */
export async function askDecision(threadId: string, request: ApprovalRequest): Promise<unknown> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    process.stdout.write(`\n${describeWaiting(threadId, request)}\n`);
    for (;;) {
      try {
        return resumeValue(request, await readFlags(rl, request));
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stdout.write(`${err.message}\n`);
      }
    }
  } finally {
    rl.close();
  }
}

async function readFlags(rl: ReturnType<typeof createInterface>, request: ApprovalRequest) {
  if (request.type === "budget") {
    const answer = (await rl.question("[r]aise KEY=NUMBER … or [f]inish now? ")).trim();
    if (answer.startsWith("f")) return { finish: true };
    return {
      raise: answer
        .replace(/^r(aise)?\s*/, "")
        .split(/\s+/)
        .filter(Boolean),
    };
  }
  const step =
    (request.type === "step_approval" || request.type === "low_confidence") && request.steps.length > 1
      ? (await rl.question(`which step (${request.steps.map((s) => s.stepId).join(", ")})? `)).trim()
      : undefined;
  const answer = (await rl.question("[a]pprove, [r]eject, or [e]dit? ")).trim().toLowerCase();
  if (answer.startsWith("a")) return { approve: true, step };
  if (answer.startsWith("r")) return { reject: (await rl.question("why? ")).trim(), step };
  if (answer.startsWith("e")) {
    const what =
      request.type === "plan_approval"
        ? 'the plan as JSON {"steps":[...]}'
        : request.type === "low_confidence"
          ? "the new output (JSON or text)"
          : "the args as JSON";
    return { edit: (await rl.question(`${what}: `)).trim(), step };
  }
  return {};
}
