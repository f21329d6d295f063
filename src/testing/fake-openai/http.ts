/** HTTP plumbing of the fake server: OpenAI-style error bodies, JSON and cut-off responses, request bodies, waits. */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export function openAIError(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
) {
  return { error: { message, type, param, code } };
}

export function defaultErrorBody(status: number, message?: string) {
  if (status === 429) {
    return openAIError(
      message ?? "Rate limit reached for requests on the fake server.",
      "requests",
      null,
      "rate_limit_exceeded",
    );
  }
  if (status >= 500)
    return openAIError(message ?? "The server had an error while processing your request.", "server_error");
  return openAIError(message ?? `Request failed with status ${status}.`, "invalid_request_error");
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "x-request-id": `req_${randomUUID().slice(0, 12)}`,
    ...headers,
  });
  res.end(text);
}

/** A 200 whose body stops half-way: the connection drops before `content-length` bytes arrive. */
export async function sendCut(res: ServerResponse, text: string): Promise<void> {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  await write(res, text.slice(0, Math.floor(text.length / 2)));
  await delay(20);
  res.destroy();
}

/** Writes and waits until the data is handed to the socket (a write error shows up as a closed response). */
export function write(res: ServerResponse, data: string): Promise<void> {
  return new Promise((resolve) => {
    res.write(data, () => resolve());
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** Resolves true when the client went away before `ms` passed. */
export function waitOrClose(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve(true);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(false);
    }, ms);
    res.once("close", onClose);
  });
}
