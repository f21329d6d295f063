import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** One run as LangSmith would store it: the create merged with every later update of the same id. */
export interface CapturedRun {
  id: string;
  name: string;
  run_type: string;
  parent_run_id?: string;
  trace_id?: string;
  dotted_order?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: string;
  tags?: string[];
  extra?: { metadata?: Record<string, unknown> };
  end_time?: string | number;
  [key: string]: unknown;
}

export interface CaptureServer {
  url: string;
  /** Every request, in arrival order, as `METHOD path` (`GET /info`, `POST /runs/batch`, …). */
  requests: string[];
  /** The runs posted so far, creates and updates merged by id. */
  runs(): CapturedRun[];
  /** How many times each run id was created (a run traced twice would show 2). */
  creates: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A stand-in for the LangSmith API on 127.0.0.1: it answers `GET /info` and records `POST /runs`,
 * `PATCH /runs/:id`, `POST /runs/batch` (JSON) and `POST /runs/multipart`. `/info` tells the client
 * which of the last two to use: multipart (the client's default against LangSmith) or JSON batches.
 */
export async function startCaptureServer(options: { multipart?: boolean } = {}): Promise<CaptureServer> {
  const byId = new Map<string, CapturedRun>();
  const requests: string[] = [];
  const creates = new Map<string, number>();
  const create = (run: Partial<CapturedRun> & { id: string }) => {
    creates.set(run.id, (creates.get(run.id) ?? 0) + 1);
    upsert(run);
  };
  const upsert = (run: Partial<CapturedRun> & { id: string }) => {
    const previous = byId.get(run.id);
    byId.set(run.id, { ...previous, ...run } as CapturedRun);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.writeHead(500).end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    requests.push(`${req.method} ${path}`);
    const body = await readBody(req);
    if (req.method === "GET" && path === "/info") {
      const batch_ingest_config = { use_multipart_endpoint: options.multipart ?? false };
      return json(res, { version: "capture", batch_ingest_config });
    }
    if (req.method === "POST" && path === "/runs/batch") {
      const batch = JSON.parse(body.toString("utf8")) as { post?: CapturedRun[]; patch?: CapturedRun[] };
      for (const run of batch.post ?? []) create(run);
      for (const run of batch.patch ?? []) upsert(run);
      return json(res, {});
    }
    if (req.method === "POST" && path === "/runs/multipart") {
      for (const [action, run] of parseMultipart(body, String(req.headers["content-type"] ?? "")))
        (action === "post" ? create : upsert)(run);
      return json(res, {});
    }
    if (req.method === "POST" && path === "/runs") {
      create(JSON.parse(body.toString("utf8")) as CapturedRun);
      return json(res, {});
    }
    const patch = /^\/runs\/([0-9a-f-]+)$/.exec(path);
    if (req.method === "PATCH" && patch?.[1]) {
      upsert({ ...(JSON.parse(body.toString("utf8")) as CapturedRun), id: patch[1] });
      return json(res, {});
    }
    res.writeHead(404).end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    runs: () => [...byId.values()],
    creates,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
}

function json(res: ServerResponse, value: unknown): void {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(value));
}

/**
 * Multipart ingest: a part named `post.<id>` or `patch.<id>` holds the run, and parts named
 * `post.<id>.inputs` / `.outputs` / `.extra` / … hold one field of it each.
 */
function parseMultipart(
  body: Buffer,
  contentType: string,
): ["post" | "patch", Partial<CapturedRun> & { id: string }][] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) return [];
  const runs = new Map<string, ["post" | "patch", Partial<CapturedRun> & { id: string }]>();
  for (const part of body.toString("utf8").split(`--${boundary}`)) {
    const split = part.indexOf("\r\n\r\n");
    if (split < 0) continue;
    const name = /name="([^"]+)"/.exec(part.slice(0, split))?.[1];
    const [action, id, field] = name?.split(".") ?? [];
    if ((action !== "post" && action !== "patch") || !id) continue;
    const value = JSON.parse(part.slice(split + 4).replace(/\r\n$/, "")) as Record<string, unknown>;
    const [, run] = runs.get(`${action}.${id}`) ?? [action, { id }];
    runs.set(`${action}.${id}`, [action, field ? { ...run, [field]: value } : { ...run, ...value }]);
  }
  // Creates before updates, so an update's fields win.
  return [...runs.values()].sort(([a], [b]) => (a === b ? 0 : a === "post" ? -1 : 1));
}
