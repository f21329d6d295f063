import http from "node:http";
import type { AddressInfo } from "node:net";
import { tool } from "@langchain/core/tools";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import type { SearchOutput } from "../../src/tools/search.js";
import { TransientToolError } from "../../src/tools/types.js";
import { createWebSearchTool, mapWebSearchOutput } from "../../src/tools/web-search.js";
import { runTool } from "../fixtures/tool-context.js";

const HITS = [
  {
    title: "AMD 2024 results",
    url: "https://ir.amd.com/q4-2024",
    content: "Revenue of $25.8 billion.",
    score: 0.91234,
    raw_content: null,
  },
  { title: "AMD news", url: "https://news.example/amd", content: "AMD grew.", score: 0.5, raw_content: null },
  { title: "Other", url: "https://other.example/", content: "x", score: 0.1, raw_content: null },
];

describe("createWebSearchTool with an injected LangChain tool", () => {
  it("passes the query and maps the answer to the corpus search's shape", async () => {
    const queries: string[] = [];
    const fake = tool(
      async ({ query }) => {
        queries.push(query);
        return { query, results: HITS };
      },
      { name: "fake_search", description: "x", schema: z.object({ query: z.string() }) },
    );
    const search = createWebSearchTool({ apiKey: "unused", client: fake });
    expect(search).toMatchObject({ name: "search", risk: "LOW" });
    const out = (await runTool(search, { query: "AMD revenue 2024", limit: 2 })) as SearchOutput;
    expect(queries).toEqual(["AMD revenue 2024"]);
    expect(out).toEqual({
      query: "AMD revenue 2024",
      results: [
        {
          id: "https://ir.amd.com/q4-2024",
          title: "AMD 2024 results",
          text: "Revenue of $25.8 billion.",
          source: "https://ir.amd.com/q4-2024",
          score: 0.912,
          facts: {},
        },
        {
          id: "https://news.example/amd",
          title: "AMD news",
          text: "AMD grew.",
          source: "https://news.example/amd",
          score: 0.5,
          facts: {},
        },
      ],
    });
  });

  it("needs an API key unless a client is injected", () => {
    expect(() => createWebSearchTool({ apiKey: " " })).toThrow(/needs an apiKey/);
  });

  it("maps 'no results' to an empty output, rate limits to transient errors, others to errors", () => {
    const empty = mapWebSearchOutput("q", { error: "No search results found for 'q'." }, 3);
    expect(empty).toEqual({ query: "q", results: [] });
    expect(() => mapWebSearchOutput("q", { error: "Error 429: rate limited" }, 3)).toThrow(
      TransientToolError,
    );
    expect(() => mapWebSearchOutput("q", { error: "Error 503: down" }, 3)).toThrow(TransientToolError);
    expect(() => mapWebSearchOutput("q", { error: "Error 401: bad key" }, 3)).toThrow(/web search failed/);
    expect(() => mapWebSearchOutput("q", { error: "Error 401: bad key" }, 3)).not.toThrow(TransientToolError);
    expect(() => mapWebSearchOutput("q", "not json", 3)).toThrow(/not JSON/);
    expect(mapWebSearchOutput("q", JSON.stringify({ results: HITS }), 1).results).toHaveLength(1);
  });
});

describe("createWebSearchTool through @langchain/tavily against a local fake API", () => {
  const requests: { auth?: string; body: Record<string, unknown> }[] = [];
  let status = 200;
  let server: http.Server;
  let baseUrl: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let data = "";
      req.on("data", (c: Buffer) => (data += c.toString()));
      req.on("end", () => {
        const body = JSON.parse(data) as Record<string, unknown>;
        requests.push({ auth: req.headers.authorization, body });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(
          status === 200
            ? JSON.stringify({ query: body.query, results: HITS.slice(0, Number(body.max_results)) })
            : JSON.stringify({ detail: { error: "slow down" } }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends the key as a bearer token and the query and limit to the API", async () => {
    const search = createWebSearchTool({ apiKey: "tvly-test-key", apiBaseUrl: baseUrl });
    const out = (await runTool(search, { query: "NVIDIA revenue", limit: 2 })) as SearchOutput;
    expect(requests.at(-1)).toMatchObject({
      auth: "Bearer tvly-test-key",
      body: { query: "NVIDIA revenue", max_results: 2 },
    });
    expect(out.results.map((r) => r.source)).toEqual([
      "https://ir.amd.com/q4-2024",
      "https://news.example/amd",
    ]);
  });

  it("reports a 429 from the API as a transient error", async () => {
    status = 429;
    // The Tavily wrapper logs the failed response; keep the test output clean.
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const search = createWebSearchTool({ apiKey: "tvly-test-key", apiBaseUrl: baseUrl });
      await expect(runTool(search, { query: "q" })).rejects.toBeInstanceOf(TransientToolError);
    } finally {
      log.mockRestore();
      status = 200;
    }
  });
});
