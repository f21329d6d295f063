import { createHash, randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
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
  /**
   * Folder where a message is written before it is linked into the outbox. It must be on the
   * outbox's filesystem and must not be inside the outbox. Default: the sibling
   * `.<outbox name>.staging` (e.g. `.plan-execute/.outbox.staging`).
   */
  staging?: string;
}

/** A temp file older than this in the staging folder is from a writer that was killed. */
export const STALE_TEMP_MS = 60_000;

/** The default staging folder of an outbox: a hidden sibling, so on the same filesystem. */
export function stagingFolderOf(outbox: string): string {
  const full = resolve(outbox);
  return join(dirname(full), `.${basename(full)}.staging`);
}

/**
 * Removes temp files left in the staging folder by a writer that was killed between its write and
 * its clean-up. Only files older than {@link STALE_TEMP_MS}: another process (a second run on the
 * same outbox) may be between its write and its link right now, for a few milliseconds; removing
 * its file would fail its send. Node has no portable file lock to tell the two apart, and a live
 * writer's temp never gets anywhere near a minute old.
 */
async function clearStaleTemps(staging: string, now = Date.now()): Promise<void> {
  const names = await readdir(staging).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.endsWith(".tmp")) continue;
    const file = join(staging, name);
    const info = await stat(file).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > STALE_TEMP_MS) await rm(file, { force: true });
  }
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
 * idempotency key (thread id + run id + step id). A run can be killed between the write and its
 * checkpoint; when the step then runs again, the key's file already exists and nothing is
 * written twice. The file appears atomically and complete: it is written in a staging folder
 * next to the outbox (never in the outbox, where a mail relay reading the folder could pick up a
 * temp file left by a kill) and hard-linked into place; `link` fails if the name is taken.
 */
export function createSendEmailTool(options: SendEmailOptions): PlanTool<EmailArgs> {
  const staging = options.staging ?? stagingFolderOf(options.outbox);
  const inside = relative(resolve(options.outbox), resolve(staging));
  if (inside === "" || (inside.split(sep)[0] !== ".." && !isAbsolute(inside))) {
    throw new Error(`send_email: the staging folder ${staging} must not be the outbox or inside it`);
  }
  return {
    name: "send_email",
    description: "Send a plain-text email (to, subject, body). Needs a person's approval.",
    schema: EmailArgs,
    risk: "HIGH",
    timeoutMs: 30_000,
    async run(args, ctx) {
      if (!ctx.idempotencyKey) throw new ToolInputError("send_email needs an idempotency key");
      await mkdir(options.outbox, { recursive: true });
      await mkdir(staging, { recursive: true });
      await clearStaleTemps(staging);
      const path = fileFor(options.outbox, ctx.idempotencyKey);
      const messageId = `${randomUUID()}@plan-execute`;
      const temp = join(staging, `${basename(path)}.${randomUUID()}.tmp`);
      await writeFile(temp, render(args, ctx.idempotencyKey, messageId), { flag: "wx" });
      try {
        await link(temp, path);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EEXIST") return await readSent(path, args);
        if (code === "EXDEV") {
          throw new Error(
            `send_email: the staging folder ${staging} is not on the filesystem of the outbox ` +
              `${options.outbox} (is the outbox a mount point?); set a staging folder on that filesystem`,
            { cause: err },
          );
        }
        throw err;
      } finally {
        await rm(temp, { force: true });
      }
      return { messageId, to: args.to, subject: args.subject, path, duplicate: false };
    },
  };
}
