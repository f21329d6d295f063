import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { SqliteSaver } from "@langchain/langgraph-checkpoint-sqlite";

export const DEFAULT_DB = ".plan-execute/checkpoints.sqlite";

export interface OpenedCheckpointer {
  saver: BaseCheckpointSaver;
  /** Where the checkpoints live, for messages. */
  where: string;
  close(): Promise<void>;
}

/**
 * The CLI's checkpointer: PostgreSQL for a `postgres://` URL (from `--checkpointer` or
 * DATABASE_URL), else a SQLite file (`--db`, default `.plan-execute/checkpoints.sqlite`).
 */
export async function openCheckpointer(options: { db?: string; url?: string }): Promise<OpenedCheckpointer> {
  const url = options.url;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const saver = PostgresSaver.fromConnString(url);
    await saver.setup();
    return { saver, where: url.replace(/\/\/[^@/]*@/, "//***@"), close: () => saver.end() };
  }
  if (url) throw new CheckpointerConfigError(`--checkpointer must be a postgres:// URL (got "${url}")`);
  const file = options.db ?? DEFAULT_DB;
  mkdirSync(dirname(file), { recursive: true });
  const saver = SqliteSaver.fromConnString(file);
  return { saver, where: file, close: async () => saver.db.close() };
}

export class CheckpointerConfigError extends Error {}
