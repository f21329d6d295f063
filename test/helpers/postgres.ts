/**
 * PostgreSQL for tests: databases of their own per test file (created on demand, dropped at the
 * end), so concurrent and earlier runs never see each other's rows. Where PostgreSQL is not
 * reachable the tests skip with a message naming the URL — except in CI (CI=true), where it is
 * provided and its absence is a failure, not a skip.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

export const PG_BASE_URL = process.env.PLAN_EXECUTE_TEST_PG_URL || "postgres://postgres@127.0.0.1:5432/test";
/** The base URL with any password hidden, for test titles and messages. */
export const PG_SHOWN = PG_BASE_URL.replace(/\/\/[^@/]*@/, "//***@");

export interface TestDatabases {
  /** A connection to the base database (to create and drop, or to inspect locks). */
  admin: pg.Client;
  /** A new, empty database; its name and URL. */
  fresh(suffix: string): Promise<{ name: string; url: string }>;
  /** Drops every database made here and closes the admin connection. */
  dropAll(): Promise<void>;
}

/** `prefix` names the databases (`<prefix>_<pid>_<random>_<suffix>`); `what` the tests that skip. */
export async function testDatabases(prefix: string, what: string): Promise<TestDatabases | null> {
  const admin = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 3_000 });
  admin.on("error", () => {}); // a dropped admin connection must not crash the test process
  try {
    await admin.connect();
    await admin.query("SELECT 1");
  } catch (err) {
    await admin.end().catch(() => {});
    const why = `PostgreSQL not reachable at ${PG_SHOWN} (${(err as Error).message})`;
    if (process.env.CI === "true")
      throw new Error(`${why}: CI provides it, so ${what} must run`, { cause: err });
    console.warn(`${why}: skipping ${what} (set PLAN_EXECUTE_TEST_PG_URL to run them)`);
    return null;
  }
  const run = `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;
  const made: string[] = [];
  return {
    admin,
    async fresh(suffix) {
      const name = `${run}_${suffix}`;
      await admin.query(`CREATE DATABASE "${name}"`);
      made.push(name);
      const url = new URL(PG_BASE_URL);
      url.pathname = `/${name}`;
      return { name, url: url.toString() };
    },
    async dropAll() {
      for (const name of made.splice(0)) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
}
