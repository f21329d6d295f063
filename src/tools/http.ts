import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { z } from "zod";
import { canonicalHost, parseAllowEntry, type AllowEntry, type Scheme } from "./allow-hosts.js";
import { ToolInputError, TransientToolError, type PlanTool } from "./types.js";

export { canonicalHost, parseAllowEntry };

export interface ResolvedAddress {
  address: string;
  family: number;
}

export interface HttpGetOptions {
  /**
   * Origins the tool may fetch from, each `[scheme://]host[:port]`: the host an exact name or IP
   * ("api.example.com", "127.0.0.1", "[::1]"), a wildcard for subdomains ("*.example.com", which
   * does not match "example.com" itself), or "*" for any host. Scheme, host and port must all
   * match: an entry without a scheme allows http and https; without a port, only the scheme's
   * default port (http 80, https 443), so "127.0.0.1" does not reach "127.0.0.1:8080" — list
   * "127.0.0.1:8080" for that. Empty (the default): every request is refused.
   *
   * Hosts are compared in canonical form: 2130706433, 0177.0.0.1, 0x7f.0.0.1, 127.1,
   * ::ffff:127.0.0.1, ::127.0.0.1 and 64:ff9b::7f00:1 are all 127.0.0.1, in entries, in URLs
   * and in resolver answers alike.
   *
   * Special-use addresses (loopback, private, link-local, unique-local, CGNAT, multicast, 0.0.0.0,
   * 169.254.169.254 …) are refused unless the host is listed exactly; a wildcard never unlocks them.
   * An entry that cannot be read throws when the tool is created.
   */
  allowHosts?: string[];
  /** The body is cut off after this many bytes (`truncated: true`). Default 1 MB. */
  maxBytes?: number;
  /** Time limit for the whole request, redirects included. Default 15 s. */
  timeoutMs?: number;
  /** Redirects followed, each one checked like the first URL. Default 5. */
  maxRedirects?: number;
  /** Resolves a host name to every address (tests inject one). Default `dns.lookup` with `all: true`. */
  resolve?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export interface HttpGetOutput {
  url: string;
  /** The URL that answered, after redirects. */
  finalUrl: string;
  status: number;
  contentType: string | null;
  /** Bytes of body returned. */
  bytes: number;
  truncated: boolean;
  /** When truncated: "truncated: N of M bytes" (M from Content-Length, when the server sent one). */
  notice?: string;
  redirects: string[];
  body: string;
  /** The parsed body, for a complete `application/json` answer. */
  json?: unknown;
}

const HttpGetArgs = z
  .object({
    url: z
      .string()
      .min(1)
      .max(2048)
      .describe("The http(s) URL to GET, e.g. 'https://api.example.com/v1/items'. Its host must be allowed."),
  })
  .strict();
type HttpGetArgs = z.output<typeof HttpGetArgs>;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const DEFAULT_PORT: Record<Scheme, number> = { "http:": 80, "https:": 443 };

type AllowMatch = "exact" | "wildcard";

function isScheme(protocol: string): protocol is Scheme {
  return protocol === "http:" || protocol === "https:";
}

/** Whether an entry allows scheme + host + port, and how (a wildcard never unlocks special addresses). */
function entryMatch(entry: AllowEntry, scheme: Scheme, host: string, port: number): AllowMatch | null {
  if (entry.scheme !== null && entry.scheme !== scheme) return null;
  if (port !== (entry.port ?? DEFAULT_PORT[scheme])) return null;
  if (entry.host === host) return "exact";
  if (entry.host === "*") return "wildcard";
  if (entry.host.startsWith("*.") && host.endsWith(entry.host.slice(1))) return "wildcard";
  return null;
}

function hostMatches(entry: AllowEntry, host: string): boolean {
  return (
    entry.host === host ||
    entry.host === "*" ||
    (entry.host.startsWith("*.") && host.endsWith(entry.host.slice(1)))
  );
}

/** The range of a special-use address ("loopback", "private", …), or null for a public unicast address. */
export function specialRange(address: string): string | null {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    // An IPv6 spelling of an IPv4 address (mapped, compatible, NAT64) is judged as that address.
    parsed = ipaddr.parse(canonicalHost(address));
  } catch {
    return "invalid";
  }
  const range = parsed.range();
  return range === "unicast" ? null : range;
}

function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = addresses.filter((a) => wanted === 0 || a.family === wanted);
    const first = usable[0];
    if (!first) {
      callback(Object.assign(new Error("no address of the requested family"), { code: "ENOTFOUND" }), "", 0);
    } else if (options.all) {
      (callback as unknown as (err: null, addresses: ResolvedAddress[]) => void)(null, usable);
    } else {
      callback(null, first.address, first.family);
    }
  };
}

async function defaultResolve(hostname: string): Promise<ResolvedAddress[]> {
  return dnsLookup(hostname, { all: true, verbatim: true });
}

function describeAllow(allow: readonly string[]): string {
  return allow.length ? allow.join(", ") : "none: allowHosts is empty";
}

/**
 * `http_get`: GET an allowlisted http(s) URL. SSRF defences: the host must match `allowHosts`;
 * every address it resolves to is checked (special-use ranges refused unless the host is listed
 * exactly) and the connection is pinned to a checked address, so DNS cannot change between check
 * and connect; redirects are followed by hand and each target is checked again; the body is
 * streamed and cut at `maxBytes`; the request honours the step's abort signal and its own timeout.
 */
export function createHttpGetTool(options: HttpGetOptions = {}): PlanTool<HttpGetArgs> {
  const rawAllow = options.allowHosts ?? [];
  const allow = rawAllow.map(parseAllowEntry);
  const maxBytes = options.maxBytes ?? 1_000_000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxRedirects = options.maxRedirects ?? 5;
  const resolve = options.resolve ?? defaultResolve;

  /** Refuses a URL that is not allowed; answers the addresses to connect to. */
  async function check(url: URL): Promise<ResolvedAddress[]> {
    if (!isScheme(url.protocol)) {
      throw new ToolInputError(`only http and https URLs are allowed, not ${url.protocol} (${url.href})`);
    }
    if (url.username || url.password) throw new ToolInputError("URLs with credentials are refused");
    const scheme = url.protocol;
    const host = canonicalHost(url.hostname);
    const port = url.port ? Number(url.port) : DEFAULT_PORT[scheme];
    let match: AllowMatch | null = null;
    for (const entry of allow) {
      const m = entryMatch(entry, scheme, host, port);
      if (m === "exact" || (m && !match)) match = m;
    }
    if (!match) {
      const forHost = allow.filter((e) => hostMatches(e, host)).map((e) => e.raw);
      const where = `${scheme}//${host.includes(":") ? `[${host}]` : host}:${port}`;
      throw new ToolInputError(
        forHost.length
          ? `${where} is not in the allowlist: ${forHost.join(", ")} ${forHost.length > 1 ? "allow" : "allows"} ` +
              `other ports or schemes only (an entry without a port means http on 80 and https on 443)`
          : `host "${host}" is not in the allowlist (allowed: ${describeAllow(rawAllow)})`,
      );
    }
    let addresses: ResolvedAddress[];
    if (ipaddr.isValid(host)) {
      // The canonical address is what was checked, so it is what is connected to.
      addresses = [{ address: host, family: host.includes(":") ? 6 : 4 }];
    } else {
      try {
        addresses = await resolve(host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "ENOTFOUND" || code === "ENODATA")
          throw new ToolInputError(`host "${host}" does not exist`);
        throw new TransientToolError(`cannot resolve "${host}": ${(err as Error).message}`);
      }
      if (addresses.length === 0) throw new ToolInputError(`host "${host}" has no address`);
      // Judged and connected to in canonical form (a resolver may answer ::ffff:10.0.0.1).
      addresses = addresses.map(({ address }) => {
        const canonical = canonicalHost(address);
        return { address: canonical, family: canonical.includes(":") ? 6 : 4 };
      });
    }
    if (match !== "exact") {
      for (const { address } of addresses) {
        const range = specialRange(address);
        if (range) {
          throw new ToolInputError(
            `refused: "${host}" resolves to ${address}, a ${range} address; only public addresses may be ` +
              `fetched unless the host is listed exactly in allowHosts`,
          );
        }
      }
    }
    return addresses;
  }

  function send(url: URL, addresses: ResolvedAddress[], signal: AbortSignal): Promise<IncomingMessage> {
    const client = url.protocol === "https:" ? https : http;
    const host = canonicalHost(url.hostname);
    return new Promise((resolveResponse, reject) => {
      const request = client.get({
        protocol: url.protocol,
        // An address is connected to in the canonical form it was checked in (127.0.0.1, not
        // ::7f00:1); a name keeps its spelling (Host, SNI) and is pinned by `lookup`.
        hostname: ipaddr.isValid(host) ? host : url.hostname,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        signal,
        lookup: pinnedLookup(addresses),
        agent: false,
        headers: {
          "user-agent": "langgraph-plan-execute http_get",
          accept: "*/*",
          "accept-encoding": "identity",
        },
      });
      request.once("response", resolveResponse);
      request.once("error", reject);
    });
  }

  function readBody(response: IncomingMessage): Promise<{ body: Buffer; truncated: boolean }> {
    return new Promise((resolveBody, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (truncated: boolean) => {
        if (done) return;
        done = true;
        resolveBody({ body: Buffer.concat(chunks, size), truncated });
      };
      response.on("data", (chunk: Buffer) => {
        if (done) return;
        const room = maxBytes - size;
        if (chunk.length > room) {
          const part = chunk.subarray(0, room);
          chunks.push(part);
          size += part.length;
          // Stop reading: no more than maxBytes is ever buffered.
          response.destroy();
          finish(true);
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      response.once("end", () => finish(false));
      response.once("error", (err) => {
        if (!done) reject(err);
      });
      response.once("close", () => {
        if (!done && !response.complete) reject(new TransientToolError("the connection closed mid-body"));
        finish(false);
      });
    });
  }

  return {
    name: "http_get",
    description:
      `GET a web page or API over http(s) from an allowed host (${describeAllow(rawAllow)}). Returns { url, finalUrl, ` +
      `status, contentType, bytes, truncated, redirects, body, json? }; bodies over ${maxBytes} bytes are cut off.`,
    schema: HttpGetArgs,
    risk: "MEDIUM",
    // The tool's own limit fires first, with a clearer message than the step's.
    timeoutMs: timeoutMs + 1_000,
    async run({ url }, ctx): Promise<HttpGetOutput> {
      let current: URL;
      try {
        current = new URL(url);
      } catch {
        throw new ToolInputError(`not a valid URL: ${JSON.stringify(url)}`);
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      const redirects: string[] = [];
      try {
        for (;;) {
          const addresses = await check(current);
          signal.throwIfAborted();
          const response = await send(current, addresses, signal);
          const status = response.statusCode ?? 0;
          const location = response.headers.location;
          if (REDIRECTS.has(status) && location) {
            response.destroy();
            if (redirects.length >= maxRedirects) {
              throw new ToolInputError(`too many redirects (more than ${maxRedirects}) from ${url}`);
            }
            current = new URL(location, current);
            redirects.push(current.href);
            continue;
          }
          if (status >= 400) {
            response.destroy();
            const message = `GET ${current.href} answered HTTP ${status}`;
            if (status === 408 || status === 429 || status >= 500) throw new TransientToolError(message);
            throw new ToolInputError(message);
          }
          const { body, truncated } = await readBody(response);
          const contentType = response.headers["content-type"] ?? null;
          const text = body.toString("utf8");
          const output: HttpGetOutput = {
            url,
            finalUrl: current.href,
            status,
            contentType,
            bytes: body.length,
            truncated,
            redirects,
            body: text,
          };
          if (truncated) {
            const declared = Number(response.headers["content-length"]);
            const total = Number.isSafeInteger(declared) && declared > body.length ? declared : null;
            output.notice =
              `truncated: ${body.length} of ${total ?? `more than ${body.length}`} bytes ` +
              `(the limit is ${maxBytes} bytes)`;
          }
          if (!truncated && contentType && /\bjson\b/i.test(contentType)) {
            try {
              output.json = JSON.parse(text) as unknown;
            } catch {
              // Not JSON after all: the text is still there.
            }
          }
          return output;
        }
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
        if (timeout.aborted) throw new TransientToolError(`GET ${url} timed out after ${timeoutMs} ms`);
        throw err;
      }
    },
  };
}
