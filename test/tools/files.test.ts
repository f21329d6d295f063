import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFileTools, Workspace } from "../../src/tools/files.js";
import { ToolInputError } from "../../src/tools/types.js";
import { runTool, toolNamed } from "../fixtures/tool-context.js";

let base: string;
let ws: string;
let outside: string;

beforeEach(async () => {
  base = await mkdtemp(path.join(tmpdir(), "pe-files-"));
  ws = path.join(base, "workspace");
  outside = path.join(base, "outside");
  await mkdir(ws);
  await mkdir(outside);
  await writeFile(path.join(outside, "secret.txt"), "TOP SECRET");
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

function tools(options: Parameters<typeof createFileTools>[0] = {}) {
  const all = createFileTools({ workspace: ws, ...options });
  return {
    read: toolNamed(all, "read_file"),
    list: toolNamed(all, "list_files"),
    write: toolNamed(all, "write_file"),
    del: toolNamed(all, "delete_file"),
  };
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToolInputError);
  return err as Error;
}

describe("file tools", () => {
  it("declare their tiers and describe every argument", () => {
    const { read, list, write, del } = tools();
    expect([read.risk, list.risk, write.risk, del.risk]).toEqual(["LOW", "LOW", "MEDIUM", "HIGH"]);
    for (const tool of [read, list, write, del]) expect(tool.timeoutMs).toBeGreaterThan(0);
  });

  it("write, read, list and delete inside the workspace", async () => {
    const { read, list, write, del } = tools();
    await expect(runTool(write, { path: "notes/a.txt", content: "héllo" })).resolves.toEqual({
      path: "notes/a.txt",
      bytes: 6,
      created: true,
    });
    await expect(runTool(write, { path: "notes/a.txt", content: "again" })).resolves.toMatchObject({
      created: false,
    });
    await expect(runTool(read, { path: "notes/a.txt" })).resolves.toEqual({
      path: "notes/a.txt",
      content: "again",
      bytes: 5,
    });
    await writeFile(path.join(ws, "top.csv"), "x\n1\n");
    await expect(runTool(list, {})).resolves.toEqual({
      path: ".",
      entries: [
        { path: "notes", type: "dir" },
        { path: "top.csv", type: "file", bytes: 4 },
      ],
      truncated: false,
    });
    const deep = await runTool(list, { path: ".", recursive: true });
    expect(deep.entries.map((e: { path: string }) => e.path)).toEqual(["notes", "notes/a.txt", "top.csv"]);
    await expect(runTool(del, { path: "notes/a.txt" })).resolves.toEqual({
      path: "notes/a.txt",
      deleted: true,
    });
    expect(existsSync(path.join(ws, "notes/a.txt"))).toBe(false);
    // A repeated delete (a retry) is not an error.
    await expect(runTool(del, { path: "notes/a.txt" })).resolves.toEqual({
      path: "notes/a.txt",
      deleted: false,
    });
  });

  it("leaves no temporary files behind after writing", async () => {
    const { write } = tools();
    await runTool(write, { path: "a.txt", content: "x" });
    expect(await readdir(ws)).toEqual(["a.txt"]);
  });

  it("creates the workspace folder on first use", async () => {
    const fresh = path.join(base, "new", "ws");
    const { write } = tools({ workspace: fresh });
    await runTool(write, { path: "x.txt", content: "1" });
    expect(await readFile(path.join(fresh, "x.txt"), "utf8")).toBe("1");
  });

  it("explains a missing file, a folder given to read_file and a file given to list_files", async () => {
    const { read, list } = tools();
    await mkdir(path.join(ws, "dir"));
    await writeFile(path.join(ws, "f.txt"), "x");
    expect((await refusal(runTool(read, { path: "nope.txt" }))).message).toMatch(/no such file/);
    expect((await refusal(runTool(read, { path: "dir" }))).message).toMatch(/is a directory/);
    expect((await refusal(runTool(list, { path: "f.txt" }))).message).toMatch(/is a file/);
    expect((await refusal(tools().del.run({ path: "dir" }, undefined as never))).message).toMatch(/folder/);
  });

  describe("path traversal", () => {
    it.each([
      ["/etc/passwd", /absolute paths are refused/],
      ["C:\\Windows\\win.ini", /absolute paths are refused/],
      ["../outside/secret.txt", /"\.\." are refused/],
      ["notes/../../outside/secret.txt", /"\.\." are refused/],
      ["..\\outside\\secret.txt", /"\.\." are refused/],
      ["a\0b", /NUL/],
      ["", /empty/],
    ])("refuses %j for every tool", async (given, message) => {
      const { read, list, write, del } = tools();
      for (const [tool, args] of [
        [read, { path: given }],
        [list, { path: given }],
        [write, { path: given, content: "pwned" }],
        [del, { path: given }],
      ] as const) {
        const err = await refusal(tool.run(args as never, undefined as never));
        expect(err.message).toMatch(message);
      }
      expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
    });

    it("refuses absolute paths that point into the workspace too", async () => {
      const { read } = tools();
      await writeFile(path.join(ws, "in.txt"), "x");
      await refusal(runTool(read, { path: path.join(ws, "in.txt") }));
    });
  });

  describe("symlink escapes", () => {
    it("refuses a link into a sibling folder whose name starts with the workspace's (ws-evil next to ws)", async () => {
      const sibling = `${ws}-evil`;
      await mkdir(sibling);
      await writeFile(path.join(sibling, "secret.txt"), "SIBLING SECRET");
      await symlink(sibling, path.join(ws, "evil"), "dir");
      const { read, list, write } = tools();
      const err = await refusal(runTool(read, { path: "evil/secret.txt" }));
      expect(err.message).not.toContain("SIBLING SECRET");
      await refusal(runTool(list, { path: "evil" }));
      await refusal(runTool(write, { path: "evil/new.txt", content: "pwned" }));
      expect(await readdir(sibling)).toEqual(["secret.txt"]);
    });

    it("a recursive listing shows a link to an outside folder without walking into it", async () => {
      await symlink(outside, path.join(ws, "out"), "dir");
      await writeFile(path.join(ws, "inside.txt"), "ok");
      const listed = JSON.stringify(await runTool(tools().list, { path: ".", recursive: true }));
      expect(listed).toContain("inside.txt");
      expect(listed).toContain("out");
      expect(listed).not.toContain("secret.txt");
    });

    it("refuses a loop of symbolic links for every tool, in workspace terms, without the host's path", async () => {
      await symlink(path.join(ws, "b"), path.join(ws, "a"));
      await symlink(path.join(ws, "a"), path.join(ws, "b"));
      const { read, list, write, del } = tools();
      for (const [tool, args] of [
        [read, { path: "a" }],
        [read, { path: "a/x.txt" }],
        [list, { path: "a" }],
        [write, { path: "a/new.txt", content: "x" }],
        [del, { path: "a/x.txt" }],
      ] as const) {
        const err = await refusal(tool.run(args as never, undefined as never));
        expect(err.message).toMatch(/loop of symbolic links/);
        expect(err.message).not.toContain(ws);
      }
    });

    it("refuses to read through a file symlink that points outside", async () => {
      await symlink(path.join(outside, "secret.txt"), path.join(ws, "link.txt"));
      const err = await refusal(runTool(tools().read, { path: "link.txt" }));
      expect(err.message).toMatch(/outside the workspace through a symbolic link/);
      expect(err.message).not.toContain("TOP SECRET");
    });

    it("refuses to read or list through a folder symlink that points outside", async () => {
      await symlink(outside, path.join(ws, "out"), "dir");
      await refusal(runTool(tools().read, { path: "out/secret.txt" }));
      await refusal(runTool(tools().list, { path: "out" }));
    });

    it("refuses to write through a symlink that points outside, and writes nothing there", async () => {
      await symlink(path.join(outside, "secret.txt"), path.join(ws, "link.txt"));
      await symlink(outside, path.join(ws, "out"), "dir");
      const { write } = tools();
      await refusal(runTool(write, { path: "link.txt", content: "pwned" }));
      await refusal(runTool(write, { path: "out/new.txt", content: "pwned" }));
      await refusal(runTool(write, { path: "out/deeper/new.txt", content: "pwned" }));
      expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
      expect(await readdir(outside)).toEqual(["secret.txt"]);
    });

    it("refuses to write through a dangling symlink whose target would be outside", async () => {
      await symlink(path.join(outside, "created-by-attack.txt"), path.join(ws, "dangling.txt"));
      const err = await refusal(runTool(tools().write, { path: "dangling.txt", content: "pwned" }));
      expect(err.message).toMatch(/symbolic link whose target does not exist/);
      expect(existsSync(path.join(outside, "created-by-attack.txt"))).toBe(false);
    });

    it("refuses to delete through a symlink that points outside; the outside file survives", async () => {
      await symlink(path.join(outside, "secret.txt"), path.join(ws, "link.txt"));
      await symlink(outside, path.join(ws, "out"), "dir");
      const { del } = tools();
      await refusal(runTool(del, { path: "link.txt" }));
      await refusal(runTool(del, { path: "out/secret.txt" }));
      expect(await readFile(path.join(outside, "secret.txt"), "utf8")).toBe("TOP SECRET");
    });

    it("follows symlinks that stay inside the workspace; delete removes the link, not its target", async () => {
      await writeFile(path.join(ws, "real.txt"), "inside");
      await symlink(path.join(ws, "real.txt"), path.join(ws, "alias.txt"));
      const { read, del, list } = tools();
      await expect(runTool(read, { path: "alias.txt" })).resolves.toMatchObject({ content: "inside" });
      const listed = await runTool(list, {});
      expect(listed.entries).toContainEqual({ path: "alias.txt", type: "symlink" });
      await runTool(del, { path: "alias.txt" });
      expect(await readFile(path.join(ws, "real.txt"), "utf8")).toBe("inside");
      expect(existsSync(path.join(ws, "alias.txt"))).toBe(false);
    });

    it("works when the workspace itself is reached through a symlink", async () => {
      const linked = path.join(base, "ws-link");
      await symlink(ws, linked, "dir");
      const { write, read } = tools({ workspace: linked });
      await runTool(write, { path: "a.txt", content: "ok" });
      await expect(runTool(read, { path: "a.txt" })).resolves.toMatchObject({ content: "ok" });
    });
  });

  describe("size limits", () => {
    it("refuses to read a file over the limit", async () => {
      await writeFile(path.join(ws, "big.txt"), "x".repeat(2_000));
      const err = await refusal(runTool(tools({ maxReadBytes: 1_000 }).read, { path: "big.txt" }));
      expect(err.message).toMatch(/2000 bytes, over the limit of 1000 bytes/);
    });

    it("refuses to write content over the limit, and writes nothing", async () => {
      const { write } = tools({ maxWriteBytes: 1_000 });
      expect(write.schema.safeParse({ path: "big.txt", content: "x".repeat(1_001) }).success).toBe(false);
      // Characters are not bytes: 600 two-byte characters pass the schema, not the byte check.
      const err = await refusal(write.run({ path: "big.txt", content: "é".repeat(600) }, undefined as never));
      expect(err.message).toMatch(/1200 bytes, over the write limit of 1000 bytes/);
      expect(existsSync(path.join(ws, "big.txt"))).toBe(false);
    });

    it("refuses binary files", async () => {
      await writeFile(path.join(ws, "bin.dat"), Buffer.from([1, 2, 0, 3]));
      await expect(runTool(tools().read, { path: "bin.dat" })).rejects.toThrow(/binary/);
    });

    it("caps list_files", async () => {
      for (let i = 0; i < 5; i++) await writeFile(path.join(ws, `f${i}.txt`), "");
      const out = await runTool(tools({ maxListEntries: 3 }).list, {});
      expect(out.entries).toHaveLength(3);
      expect(out.truncated).toBe(true);
    });
  });

  it("Workspace.resolve reports paths relative to the workspace", async () => {
    const w = new Workspace(ws);
    await expect(w.resolve("a/b.txt")).resolves.toMatchObject({ rel: "a/b.txt", exists: false });
    await expect(w.resolve("./a//b.txt")).resolves.toMatchObject({ rel: "a/b.txt" });
    await expect(w.resolve(".")).resolves.toMatchObject({ rel: ".", exists: true });
  });
});
