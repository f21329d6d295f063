import { TransientToolError } from "../tools/types.js";

/** One attempt of a step ran past its time limit. */
export class StepTimeoutError extends Error {
  override name = "StepTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

const TRANSIENT_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EPIPE",
  "UND_ERR_SOCKET",
]);

/**
 * Errors that carry no status or code but say the request never got an answer: the OpenAI SDK's
 * client timeout and connection failure (what a hung model endpoint ends in once the client's own
 * retries are spent), and the DOMException of `AbortSignal.timeout()`.
 */
const TRANSIENT_NAMES = new Set(["APIConnectionTimeoutError", "APIConnectionError", "TimeoutError"]);

/** Whether another attempt could succeed: timeouts, rate limits, 5xx and dropped connections. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransientToolError || error instanceof StepTimeoutError) return true;
  if (typeof error !== "object" || error === null) return false;
  const { status, code, name, cause } = error as {
    status?: unknown;
    code?: unknown;
    name?: unknown;
    cause?: unknown;
  };
  if (typeof status === "number" && (status === 408 || status === 429 || status >= 500)) return true;
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  if (typeof name === "string" && TRANSIENT_NAMES.has(name)) return true;
  // fetch wraps socket errors: TypeError("fetch failed") with the ECONNRESET etc. as its cause.
  return cause !== undefined && cause !== error && isTransient(cause);
}

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before retry number `retry` (1-based): exponential, capped, with "equal jitter" — half
 * of the capped delay is fixed and half random, so parallel steps that failed together do not
 * retry in lockstep, yet every retry still waits a while.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return Math.round(capped / 2 + random() * (capped / 2));
}

/** Resolves after `ms`, or rejects at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` with a time limit. The signal handed to `fn` aborts at the limit (and when `parent`
 * aborts); a tool that ignores the signal is abandoned, not waited for.
 */
export async function withTimeout<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  parent?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent?.reason);
  parent?.addEventListener("abort", onParentAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new StepTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onParentAbort);
  }
}
