import { createHash, randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ToolInputError, type PlanTool } from "./types.js";

const EmailArgs = z
  .object({
    to: z.email().describe("Recipient address."),
    subject: z.string().min(1).max(300).describe("Subject line."),
    body: z.string().min(1).max(100_000).describe("Plain-text body."),
  })
  .strict();
type EmailArgs = z.output<typeof EmailArgs>;

export interface SentEmail {
  messageId: string;
  to: string;
  subject: string;
  /** The .eml file in the outbox. */
  path: string;
  /** True when this key had already been sent: nothing was written again. */
  duplicate: boolean;
}

export interface SendEmailOptions {
  /** Folder that receives one .eml file per message (default `.plan-execute/outbox`). */
  outbox: string;
}

/** One file name per idempotency key: the same step of the same thread always maps to the same file. */
function fileFor(outbox: string, key: string): string {
  return join(outbox, `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.eml`);
}

function render(args: EmailArgs, key: string, messageId: string): string {
  const header = (name: string, value: string) => `${name}: ${value.replace(/[\r\n]+/g, " ")}`;
  return [
    header("Message-ID", `<${messageId}>`),
    header("Date", new Date().toUTCString()),
    header("From", "plan-execute@localhost"),
    header("To", args.to),
    header("Subject", args.subject),
    header("X-Idempotency-Key", key),
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "",
    args.body,
    "",
  ].join("\r\n");
}

async function readSent(path: string, args: EmailArgs): Promise<SentEmail> {
  const text = await readFile(path, "utf8");
  const messageId = /^Message-ID: <([^>]+)>/m.exec(text)?.[1] ?? "unknown";
  return { messageId, to: args.to, subject: args.subject, path, duplicate: true };
}

/**
 * `send_email` (HIGH): writes the message as an .eml file into an outbox, exactly once per
 * idempotency key (thread id + step id). A run can be killed between the write and its
 * checkpoint; when the step then runs again, the key's file already exists and nothing is
 * written twice. The file appears atomically: it is written under a temporary name and
 * hard-linked into place, and `link` fails if the name is taken.
 */
export function createSendEmailTool(options: SendEmailOptions): PlanTool<EmailArgs> {
  return {
    name: "send_email",
    description: "Send a plain-text email (to, subject, body). Needs a person's approval.",
    schema: EmailArgs,
    risk: "HIGH",
    timeoutMs: 30_000,
    async run(args, ctx) {
      if (!ctx.idempotencyKey) throw new ToolInputError("send_email needs an idempotency key");
      await mkdir(options.outbox, { recursive: true });
      const path = fileFor(options.outbox, ctx.idempotencyKey);
      const messageId = `${randomUUID()}@plan-execute`;
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, render(args, ctx.idempotencyKey, messageId), { flag: "wx" });
      try {
        await link(temp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "EEXIST") return await readSent(path, args);
        throw err;
      } finally {
        await rm(temp, { force: true });
      }
      return { messageId, to: args.to, subject: args.subject, path, duplicate: false };
    },
  };
}
