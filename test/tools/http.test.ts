import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  canonicalHost,
  createHttpGetTool,
  parseAllowEntry,
  specialRange,
  type HttpGetOptions,
  type HttpGetOutput,
} from "../../src/tools/http.js";
import { ToolInputError, TransientToolError } from "../../src/tools/types.js";
import { runTool, toolContext } from "../fixtures/tool-context.js";

/** Every request the test server saw, by path. */
const seen: string[] = [];
let server: http.Server;
let port: number;
let base: string;
/** A second local server, on another port: what a redirect must not reach unless its port is allowed. */
const adminSeen: string[] = [];
let admin: http.Server;
let adminPort: number;
/** The allowlist entry of the test server: its host and port. */
const local = () => `127.0.0.1:${port}`;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push(url.pathname);
    const to = url.searchParams.get("to");
    switch (url.pathname) {
      case "/json":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true, host: req.headers.host }));
        return;
      case "/text":
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("hello");
        return;
      case "/redirect":
        res.writeHead(302, { location: to ?? "/text" });
        res.end();
        return;
      case "/chain": {
        const n = Number(url.searchParams.get("n"));
        res.writeHead(301, { location: n > 1 ? `/chain?n=${n - 1}` : "/text" });
        res.end();
        return;
      }
      case "/loop":
        res.writeHead(307, { location: "/loop" });
        res.end();
        return;
      case "/big": {
        // 5 MB in 64 KB chunks, written as the client reads.
        res.writeHead(200, { "content-type": "text/plain" });
        const chunk = "x".repeat(65_536);
        let sent = 0;
        const write = () => {
          while (sent < 80) {
            sent++;
            if (!res.write(chunk)) return void res.once("drain", write);
          }
          res.end();
        };
        res.on("error", () => undefined);
        write();
        return;
      }
      case "/sized":
        // 5,000 bytes with a Content-Length.
        res.writeHead(200, { "content-type": "text/plain", "content-length": "5000" });
        res.end("y".repeat(5_000));
        return;
      case "/slow":
        // Never answers; the client must give up.
        return;
      case "/status":
        res.writeHead(Number(url.searchParams.get("code")));
        res.end("status");
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  admin = http.createServer((req, res) => {
    adminSeen.push(req.url ?? "");
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("admin secrets");
  });
  await new Promise<void>((resolve) => admin.listen(0, "127.0.0.1", resolve));
  adminPort = (admin.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of [server, admin]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

beforeEach(() => {
  seen.length = 0;
  adminSeen.length = 0;
});

const get = (options: HttpGetOptions, url: string, ctx = toolContext()) =>
  runTool(createHttpGetTool(options), { url }, ctx) as Promise<HttpGetOutput>;

async function refused(options: HttpGetOptions, url: string, message: RegExp) {
  const err = await get(options, url).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, url).toBeInstanceOf(ToolInputError);
  expect((err as Error).message).toMatch(message);
}

describe("http_get", () => {
  it("is a MEDIUM-risk tool with a timeout longer than its own request limit", () => {
    const tool = createHttpGetTool({ allowHosts: ["example.com"], timeoutMs: 2_000 });
    expect(tool.name).toBe("http_get");
    expect(tool.risk).toBe("MEDIUM");
    expect(tool.timeoutMs).toBe(3_000);
    expect(tool.description).toContain("example.com");
  });

  it("GETs from an exactly allowlisted local server and parses JSON", async () => {
    const out = await get({ allowHosts: [local()] }, `${base}/json`);
    expect(out).toMatchObject({
      url: `${base}/json`,
      finalUrl: `${base}/json`,
      status: 200,
      truncated: false,
      redirects: [],
      json: { ok: true },
    });
    expect(out.contentType).toMatch(/application\/json/);
    expect(out.bytes).toBe(out.body.length);
  });

  it("follows allowed redirects and re-checks each", async () => {
    const out = await get({ allowHosts: [local()] }, `${base}/chain?n=3`);
    expect(out.body).toBe("hello");
    expect(out.redirects).toEqual([`${base}/chain?n=2`, `${base}/chain?n=1`, `${base}/text`]);
    expect(seen).toEqual(["/chain", "/chain", "/chain", "/text"]);
  });

  it("stops after 5 redirects", async () => {
    await refused({ allowHosts: [local()] }, `${base}/loop`, /too many redirects \(more than 5\)/);
    expect(seen).toHaveLength(6);
  });

  it("cuts a large body off at maxBytes without buffering the rest", async () => {
    const out = await get({ allowHosts: [local()], maxBytes: 1_000 }, `${base}/big`);
    expect(out).toMatchObject({ bytes: 1_000, truncated: true, status: 200 });
    expect(out.body).toBe("x".repeat(1_000));
    expect(out.notice).toBe("truncated: 1000 of more than 1000 bytes (the limit is 1000 bytes)");
  });

  it("says how much of a body with a Content-Length it returned", async () => {
    const out = await get({ allowHosts: [local()], maxBytes: 1_000 }, `${base}/sized`);
    expect(out.notice).toBe("truncated: 1000 of 5000 bytes (the limit is 1000 bytes)");
    const whole = await get({ allowHosts: [local()] }, `${base}/sized`);
    expect(whole).toMatchObject({ bytes: 5_000, truncated: false });
    expect(whole.notice).toBeUndefined();
  });

  it("gives up after its time limit with a transient error", async () => {
    const started = Date.now();
    const err = await get({ allowHosts: [local()], timeoutMs: 200 }, `${base}/slow`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientToolError);
    expect((err as Error).message).toMatch(/timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("honours the step's abort signal", async () => {
    const controller = new AbortController();
    const reason = new Error("step cancelled");
    setTimeout(() => controller.abort(reason), 100);
    const ctx = toolContext({ signal: controller.signal });
    await expect(get({ allowHosts: [local()] }, `${base}/slow`, ctx)).rejects.toBe(reason);
  });

  it("maps 429 and 5xx to transient errors and other 4xx to input errors", async () => {
    const opts = { allowHosts: [local()] };
    await expect(get(opts, `${base}/status?code=503`)).rejects.toBeInstanceOf(TransientToolError);
    await expect(get(opts, `${base}/status?code=429`)).rejects.toBeInstanceOf(TransientToolError);
    await expect(get(opts, `${base}/status?code=404`)).rejects.toThrow(/answered HTTP 404/);
    await expect(get(opts, `${base}/status?code=404`)).rejects.toBeInstanceOf(ToolInputError);
  });

  it("pins the connection to the checked address of an exactly allowlisted name", async () => {
    const resolve = async (host: string) =>
      host === "intranet.test" ? [{ address: "127.0.0.1", family: 4 }] : [];
    const out = await get(
      { allowHosts: [`intranet.test:${port}`], resolve },
      `http://intranet.test:${port}/json`,
    );
    expect(out.json).toEqual({ ok: true, host: `intranet.test:${port}` });
  });

  describe("SSRF refusals (the server sees no request)", () => {
    /** Any host on the default ports and on the test server's port. */
    const any = () => ({ allowHosts: ["*", `*:${port}`] });

    it.each([
      ["loopback", `http://127.0.0.1:PORT/json`, /127\.0\.0\.1, a loopback address/],
      ["loopback, decimal form", `http://2130706433:PORT/json`, /loopback/],
      ["loopback, short form", `http://127.1:PORT/json`, /loopback/],
      ["localhost", `http://localhost:PORT/json`, /loopback/],
      ["IPv6 loopback", `http://[::1]:PORT/json`, /::1, a loopback address/],
      ["IPv4-mapped IPv6 loopback", `http://[::ffff:127.0.0.1]:PORT/json`, /loopback/],
      ["unspecified", `http://0.0.0.0:PORT/json`, /unspecified/],
      ["cloud metadata", "http://169.254.169.254/latest/meta-data/", /linkLocal/],
      ["private 10/8", "http://10.0.0.1/", /private/],
      ["private 172.16/12", "http://172.16.5.4/", /private/],
      ["private 192.168/16", "http://192.168.1.1/", /private/],
      ["CGNAT", "http://100.64.0.1/", /carrierGradeNat/],
      ["unique-local fc00::/7", "http://[fc00::1]/", /uniqueLocal/],
      ["unique-local fd00::/8", "http://[fd12:3456::1]/", /uniqueLocal/],
      ["IPv6 link-local", "http://[fe80::1]/", /linkLocal/],
    ])("refuses %s even with allowHosts ['*']", async (_label, url, message) => {
      await refused(any(), url.replace("PORT", String(port)), message);
      expect(seen).toEqual([]);
    });

    it("refuses hosts outside the allowlist, and everything when the allowlist is empty", async () => {
      await refused(
        { allowHosts: ["api.example.com"] },
        `${base}/json`,
        /"127\.0\.0\.1" is not in the allowlist/,
      );
      await refused({}, "https://example.com/", /not in the allowlist \(allowed: none/);
      await refused({ allowHosts: ["*.example.com"] }, "https://example.com/", /not in the allowlist/);
      await refused({ allowHosts: ["*.example.com"] }, "https://evil-example.com/", /not in the allowlist/);
      expect(seen).toEqual([]);
    });

    it("refuses a wildcard-allowed name that resolves to a private address, checking every address", async () => {
      const resolve = async () => [
        { address: "93.184.215.14", family: 4 },
        { address: "10.1.2.3", family: 4 },
      ];
      await refused(
        { allowHosts: ["*.example.com"], resolve },
        "http://rebind.example.com/",
        /10\.1\.2\.3, a private/,
      );
      const loopback = async () => [{ address: "127.0.0.1", family: 4 }];
      await refused({ ...any(), resolve: loopback }, `http://sneaky.test:${port}/json`, /loopback/);
      expect(seen).toEqual([]);
    });

    it("refuses non-http schemes and URLs with credentials", async () => {
      await refused(any(), "file:///etc/passwd", /only http and https/);
      await refused(any(), "ftp://example.com/x", /only http and https/);
      await refused(any(), "http://user:pass@example.com/", /credentials/);
      await refused(any(), "not a url", /not a valid URL/);
    });

    it("refuses a redirect from an allowlisted server to a disallowed address; the target sees nothing", async () => {
      const opts = { allowHosts: [local(), "*.example.com"] };
      const targets = [
        [`http://localhost:${port}/secret`, /"localhost" is not in the allowlist/],
        [`http://[::1]:${port}/secret`, /"::1" is not in the allowlist/],
        ["http://169.254.169.254/latest/meta-data/", /not in the allowlist/],
        ["file:///etc/passwd", /only http and https/],
      ] as const;
      for (const [to, message] of targets) {
        await refused(opts, `${base}/redirect?to=${encodeURIComponent(to)}`, message);
      }
      // A redirect to a wildcard-allowed name that resolves to a special address is refused too.
      const resolve = async () => [{ address: "169.254.169.254", family: 4 }];
      await refused(
        { ...opts, resolve },
        `${base}/redirect?to=${encodeURIComponent("http://metadata.example.com/")}`,
        /169\.254\.169\.254, a linkLocal address/,
      );
      expect(seen).toEqual(["/redirect", "/redirect", "/redirect", "/redirect", "/redirect"]);
      expect(seen).not.toContain("/secret");
    });
  });

  it("specialRange names special-use ranges and passes public addresses", () => {
    expect(specialRange("8.8.8.8")).toBeNull();
    expect(specialRange("2606:4700:4700::1111")).toBeNull();
    expect(specialRange("::ffff:169.254.169.254")).toBe("linkLocal");
    // IPv6 spellings of an IPv4 address are judged as that address.
    expect(specialRange("64:ff9b::7f00:1")).toBe("loopback");
    expect(specialRange("::7f00:1")).toBe("loopback");
    expect(specialRange("::ffff:0:a01:203")).toBe("private");
    expect(specialRange("64:ff9b:1::a9fe:a9fe")).toBe("linkLocal");
    expect(specialRange("64:ff9b::808:808")).toBeNull();
    expect(specialRange("2002:7f00:1::")).toBe("6to4");
    expect(specialRange("224.0.0.1")).toBe("multicast");
    expect(specialRange("nonsense")).toBe("invalid");
  });
});

describe("http_get: scheme, host and port must all be allowed", () => {
  it("refuses another port of an allowed host; an entry without a port means 80 and 443", async () => {
    await refused(
      { allowHosts: ["127.0.0.1"] },
      `${base}/json`,
      new RegExp(
        `http://127\\.0\\.0\\.1:${port} is not in the allowlist: 127\\.0\\.0\\.1 allows other ports`,
      ),
    );
    await refused({ allowHosts: [`127.0.0.1:${adminPort}`] }, `${base}/json`, /is not in the allowlist/);
    expect(seen).toEqual([]);
  });

  it("refuses a redirect to another port of the allowed host (the /admin of another server)", async () => {
    // Before, allowing "127.0.0.1" let this redirect reach the other port's /admin.
    const to = `http://127.0.0.1:${adminPort}/admin`;
    await refused(
      { allowHosts: [local()] },
      `${base}/redirect?to=${encodeURIComponent(to)}`,
      new RegExp(`127\\.0\\.0\\.1:${adminPort} is not in the allowlist`),
    );
    expect(seen).toEqual(["/redirect"]);
    expect(adminSeen).toEqual([]);
    // Listing that port as well lets it through: the refusal was the port rule, nothing else.
    const out = await get({ allowHosts: [local(), `127.0.0.1:${adminPort}`] }, `${base}/redirect?to=${to}`);
    expect(out.body).toBe("admin secrets");
    expect(adminSeen).toEqual(["/admin"]);
  });

  it("matches the scheme of an entry that names one", async () => {
    const out = await get({ allowHosts: [`http://127.0.0.1:${port}`] }, `${base}/text`);
    expect(out.body).toBe("hello");
    await refused({ allowHosts: [`https://127.0.0.1:${port}`] }, `${base}/text`, /is not in the allowlist/);
    expect(seen).toEqual(["/text"]);
  });

  it("reads entries as [scheme://]host[:port], hosts in canonical form", () => {
    expect(parseAllowEntry("api.example.com")).toMatchObject({
      scheme: null,
      host: "api.example.com",
      port: null,
    });
    expect(parseAllowEntry("API.Example.COM.:8443")).toMatchObject({ host: "api.example.com", port: 8443 });
    expect(parseAllowEntry("https://api.example.com")).toMatchObject({ scheme: "https:", port: null });
    expect(parseAllowEntry("http://127.0.0.1:8080/")).toMatchObject({
      scheme: "http:",
      host: "127.0.0.1",
      port: 8080,
    });
    expect(parseAllowEntry("*.example.com:8080")).toMatchObject({ host: "*.example.com", port: 8080 });
    expect(parseAllowEntry("*")).toMatchObject({ host: "*", port: null });
    expect(parseAllowEntry("::1")).toMatchObject({ host: "::1", port: null });
    expect(parseAllowEntry("[::1]:8080")).toMatchObject({ host: "::1", port: 8080 });
    expect(parseAllowEntry("[::ffff:127.0.0.1]:8080")).toMatchObject({ host: "127.0.0.1", port: 8080 });
    expect(parseAllowEntry("0177.0.0.1")).toMatchObject({ host: "127.0.0.1" });
    for (const bad of ["ftp://example.com", "example.com:0", "example.com:99999", "http://a/b", "a b", ""]) {
      expect(() => createHttpGetTool({ allowHosts: [bad] }), bad).toThrow(/allowHosts entry/);
    }
  });
});

describe("http_get: every spelling of an address is one address", () => {
  const FORMS = [
    ["IPv4-mapped IPv6", "[::ffff:127.0.0.1]"],
    ["IPv4-mapped IPv6, hex", "[::ffff:7f00:1]"],
    ["IPv4-compatible IPv6", "[::127.0.0.1]"],
    ["NAT64", "[64:ff9b::7f00:1]"],
    ["decimal", "2130706433"],
    ["octal", "0177.0.0.1"],
    ["hex", "0x7f.0.0.1"],
    ["short", "127.1"],
  ] as const;

  it.each(FORMS)("canonicalHost turns the %s form into 127.0.0.1", (_label, form) => {
    expect(canonicalHost(new URL(`http://${form}/`).hostname)).toBe("127.0.0.1");
  });

  it.each(FORMS)(
    "refuses the %s form of loopback under a wildcard; the server sees nothing",
    async (_l, form) => {
      await refused(
        { allowHosts: ["*", `*:${port}`] },
        `http://${form}:${port}/json`,
        /127\.0\.0\.1, a loopback/,
      );
      expect(seen).toEqual([]);
    },
  );

  it.each(FORMS)("refuses a redirect to the %s form on another port", async (_l, form) => {
    const to = `http://${form}:${adminPort}/admin`;
    await refused(
      { allowHosts: [local()] },
      `${base}/redirect?to=${encodeURIComponent(to)}`,
      new RegExp(`127\\.0\\.0\\.1:${adminPort} is not in the allowlist`),
    );
    expect(adminSeen).toEqual([]);
  });

  it.each(FORMS)(
    "matches an entry in the %s form, and connects to the address it checked",
    async (_l, form) => {
      const opts = { allowHosts: [`${form}:${port}`] };
      expect((await get(opts, `${base}/text`)).body).toBe("hello");
      // Connected to 127.0.0.1 as checked, also for spellings the socket layer would not reach it by.
      const out = await get(opts, `http://${form}:${port}/json`);
      expect(out.json).toEqual({ ok: true, host: `127.0.0.1:${port}` });
    },
  );

  it("judges a resolver's IPv6 spelling of a private address as that address", async () => {
    const resolve = async () => [{ address: "::ffff:10.1.2.3", family: 6 }];
    await refused(
      { allowHosts: ["*.example.com"], resolve },
      "http://x.example.com/",
      /10\.1\.2\.3, a private/,
    );
  });
});
