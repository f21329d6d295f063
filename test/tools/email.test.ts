import { watch } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSendEmailTool, stagingFolderOf, type SentEmail } from "../../src/tools/email.js";
import { runTool, toolContext } from "../fixtures/tool-context.js";

let dir: string;
let outbox: string;
let staging: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "pe-email-"));
  outbox = path.join(dir, "outbox");
  staging = path.join(dir, ".outbox.staging");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mail = { to: "a@example.com", subject: "hello", body: "the body" };
const send = (key = "thread:step_1", tool = createSendEmailTool({ outbox })) =>
  runTool(tool, mail, toolContext({ idempotencyKey: key })) as Promise<SentEmail>;

describe("send_email", () => {
  it("writes in a staging folder next to the outbox: no other name ever appears in the outbox", async () => {
    await mkdir(outbox, { recursive: true });
    const appeared = new Set<string>();
    const watcher = watch(outbox, (_event, name) => {
      if (name) appeared.add(name);
    });
    try {
      const sent = await send();
      await new Promise((r) => setTimeout(r, 200)); // let the watcher deliver every event
      expect([...appeared]).toEqual([path.basename(sent.path)]);
    } finally {
      watcher.close();
    }
    expect(stagingFolderOf(outbox)).toBe(staging);
    expect(await readdir(staging)).toEqual([]);
  });

  it("sends once per idempotency key and a complete message each time", async () => {
    const first = await send("t:a");
    const again = await send("t:a");
    const other = await send("t:b");
    expect(again).toMatchObject({ duplicate: true, messageId: first.messageId, path: first.path });
    expect(other.duplicate).toBe(false);
    const files = (await readdir(outbox)).sort();
    expect(files).toEqual([path.basename(first.path), path.basename(other.path)].sort());
    for (const file of files) {
      const text = await readFile(path.join(outbox, file), "utf8");
      expect(text).toMatch(
        /^Message-ID: <[^>]+>\r\n[\s\S]*\r\nSubject: hello\r\n[\s\S]*\r\n\r\nthe body\r\n$/,
      );
    }
  });

  it("clears temp files over a minute old from the staging folder, and only those", async () => {
    await mkdir(staging, { recursive: true });
    const old = new Date(Date.now() - 2 * 60_000);
    await writeFile(path.join(staging, "killed-writer.eml.1.tmp"), "half a mess");
    await utimes(path.join(staging, "killed-writer.eml.1.tmp"), old, old);
    // Another process's write in flight: recent, so left alone.
    await writeFile(path.join(staging, "live-writer.eml.2.tmp"), "being written");
    await writeFile(path.join(staging, "notes.txt"), "not ours");
    await utimes(path.join(staging, "notes.txt"), old, old);
    await send();
    expect((await readdir(staging)).sort()).toEqual(["live-writer.eml.2.tmp", "notes.txt"]);
    expect((await readdir(outbox)).every((f) => f.endsWith(".eml"))).toBe(true);
  });

  it("takes a staging folder of its own, but never the outbox or a folder inside it", async () => {
    const own = path.join(dir, "stage");
    await send("t:a", createSendEmailTool({ outbox, staging: own }));
    expect(await readdir(own)).toEqual([]);
    expect(() => createSendEmailTool({ outbox, staging: outbox })).toThrow(/must not be the outbox/);
    expect(() => createSendEmailTool({ outbox, staging: path.join(outbox, "tmp") })).toThrow(
      /must not be the outbox or inside it/,
    );
    expect(() => createSendEmailTool({ outbox, staging: path.join(dir, "..outbox-tmp") })).not.toThrow();
  });
});
