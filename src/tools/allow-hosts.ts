import ipaddr from "ipaddr.js";

/**
 * Reading http_get's allowHosts entries and hosts in canonical form. Apart from the tool so that
 * the environment's PLAN_EXECUTE_ALLOW_HOSTS is checked without loading the HTTP client.
 */

export type Scheme = "http:" | "https:";

/**
 * The IPv4 address an IPv6 address stands for, when it is just another spelling of one:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible
 * (::a.b.c.d, deprecated but still routed by some stacks) and NAT64 (64:ff9b::/96 and the
 * local-use 64:ff9b:1::/48), which a NAT64 gateway forwards to the embedded address.
 */
export function embeddedIPv4(v6: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = v6.parts;
  const low = () => new ipaddr.IPv4([p[6]! >> 8, p[6]! & 0xff, p[7]! >> 8, p[7]! & 0xff]);
  const zeros = (from: number, to: number) => p.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && p[5] === 0xffff) return low(); // mapped
  if (zeros(0, 4) && p[4] === 0xffff && p[5] === 0) return low(); // translated
  if (zeros(0, 6) && (p[6] !== 0 || p[7]! > 1)) return low(); // compatible; not :: or ::1
  if (p[0] === 0x64 && p[1] === 0xff9b && zeros(2, 6)) return low(); // NAT64 well-known prefix
  if (p[0] === 0x64 && p[1] === 0xff9b && p[2] === 1) return low(); // NAT64 local-use prefix
  return null;
}

/**
 * A host as compared and checked: lower case, without IPv6 brackets or a trailing dot; an IP
 * address in its one canonical spelling (an IPv6 spelling of an IPv4 address becomes that IPv4
 * address). The URL parser has already turned 2130706433, 0177.0.0.1, 0x7f.0.0.1 and 127.1 into
 * 127.0.0.1; this does the same for what it leaves alone, and for resolver answers.
 */
export function canonicalHost(host: string): string {
  const bare = host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
  if (ipaddr.IPv6.isValid(bare)) {
    const v6 = ipaddr.IPv6.parse(bare);
    return (embeddedIPv4(v6) ?? v6).toString();
  }
  if (ipaddr.IPv4.isValid(bare)) return ipaddr.IPv4.parse(bare).toString();
  return bare;
}

/** One allowHosts entry: `[scheme://]host[:port]`, host exact, `*.suffix` or `*`. */
export interface AllowEntry {
  raw: string;
  /** null: http and https. */
  scheme: Scheme | null;
  /** Canonical host, `*.suffix` or `*`. */
  host: string;
  /** null: the scheme's default port (http 80, https 443). */
  port: number | null;
}

export function parseAllowEntry(raw: string): AllowEntry {
  const text = raw.trim();
  const bad = (why: string) => new Error(`allowHosts entry ${JSON.stringify(raw)} ${why}`);
  let scheme: Scheme | null = null;
  let rest = text;
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (withScheme) {
    const name = `${withScheme[1]!.toLowerCase()}:`;
    if (name !== "http:" && name !== "https:") throw bad("names a scheme other than http or https");
    scheme = name;
    rest = withScheme[2]!.replace(/\/$/, "");
  }
  // host, [v6]:port, host:port; a bare IPv6 address (several colons, no brackets) has no port.
  const parts =
    (rest.match(/:/g)?.length ?? 0) > 1 && !rest.startsWith("[")
      ? { host: rest, port: undefined }
      : /^(?<host>\[[^\]]*\]|[^:/?#@]+)(?::(?<port>\d{1,5}))?$/.exec(rest)?.groups;
  if (!parts?.host) throw bad("is not [http(s)://]host[:port]");
  let port: number | null = null;
  if (parts.port !== undefined) {
    port = Number(parts.port);
    if (port < 1 || port > 65_535) throw bad("has a port outside 1-65535");
  }
  let host: string;
  if (parts.host === "*" || parts.host.startsWith("*.")) {
    host = canonicalHost(parts.host);
  } else {
    // The URL parser's host rules (IPv4 number forms, IDN, case) so entries compare like URLs do.
    const v6 = ipaddr.IPv6.isValid(parts.host) ? `[${parts.host}]` : parts.host;
    try {
      host = canonicalHost(new URL(`http://${v6}/`).hostname);
    } catch {
      throw bad("has a host that is not valid");
    }
  }
  return { raw, scheme, host, port };
}
