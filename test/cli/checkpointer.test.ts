import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointerConfigError, openCheckpointer } from "../../src/cli/checkpointer.js";

const dir = mkdtempSync(join(tmpdir(), "pe-ckpt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** openCheckpointer's failure for `db`, and how long it took to say so. */
async function refusal(db: string): Promise<{ err: Error; ms: number }> {
  const started = Date.now();
  const err = await openCheckpointer({ db }).then(
    async (opened) => {
      await opened.close();
      throw new Error(`expected --db ${db} to be refused`);
    },
    (e: unknown) => e as Error,
  );
  return { err, ms: Date.now() - started };
}

describe("openCheckpointer: --db paths that cannot work fail at once, in one line", () => {
  // Before, `--db /proc/nope/db.sqlite` spun a core for 11 minutes in Node's recursive mkdir.
  it.skipIf(!existsSync("/proc/self"))("a folder the kernel will not create (/proc/nope)", async () => {
    const { err, ms } = await refusal("/proc/nope/db.sqlite");
    expect(err).toBeInstanceOf(CheckpointerConfigError);
    expect(err.message).toMatch(
      /^--db \/proc\/nope\/db\.sqlite: cannot create the folder \/proc\/nope \(ENOENT\)$/,
    );
    expect(ms).toBeLessThan(1_000);
  });

  it.skipIf(!existsSync("/proc/self"))(
    "a folder that exists but cannot be written in (even as root)",
    async () => {
      const { err } = await refusal("/proc/db.sqlite");
      expect(err).toBeInstanceOf(CheckpointerConfigError);
      expect(err.message).toMatch(/^--db \/proc\/db\.sqlite: cannot write in the folder \/proc \(\w+\)$/);
    },
  );

  it("a directory", async () => {
    const { err } = await refusal(dir);
    expect(err).toBeInstanceOf(CheckpointerConfigError);
    expect(err.message).toBe(`--db ${dir}: is a directory; give the path of a database file`);
  });

  it("a path through a regular file", async () => {
    const file = join(dir, "plain.txt");
    writeFileSync(file, "not a folder");
    const { err } = await refusal(join(file, "sub", "db.sqlite"));
    expect(err).toBeInstanceOf(CheckpointerConfigError);
    expect(err.message).toMatch(/plain\.txt is not a folder$/);
  });

  it("every message is a single line", async () => {
    for (const db of [dir, join(dir, "plain.txt", "db.sqlite")]) {
      expect((await refusal(db)).err.message).not.toContain("\n");
    }
  });
});

describe("openCheckpointer: paths that work", () => {
  it("creates the missing folders, leaves no probe behind, and opens the same file again", async () => {
    const folder = join(dir, "a", "b", "c");
    const db = join(folder, "checkpoints.sqlite");
    const first = await openCheckpointer({ db });
    expect(first.where).toBe(db);
    await first.close();
    expect(readdirSync(folder)).toEqual(["checkpoints.sqlite"]);
    const again = await openCheckpointer({ db });
    await again.close();
  });

  it("opens an in-memory database", async () => {
    const opened = await openCheckpointer({ db: ":memory:" });
    await opened.close();
  });

  it("still refuses a URL that is not postgres://", async () => {
    await expect(openCheckpointer({ url: "mysql://x" })).rejects.toBeInstanceOf(CheckpointerConfigError);
  });

  it("opens a database in an existing folder", async () => {
    mkdirSync(join(dir, "existing"), { recursive: true });
    const opened = await openCheckpointer({ db: join(dir, "existing", "db.sqlite") });
    await opened.close();
    expect(readdirSync(join(dir, "existing"))).toEqual(["db.sqlite"]);
  });
});
