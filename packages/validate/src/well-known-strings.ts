// The `well_known` string formats of protoc-gen-validate, with the semantics of the Go code it
// generates: Go's net.ParseIP for addresses, PGV's own hostname rule, net/mail-like e-mail
// addresses and net/url-like URIs. No Envoy, cncf/xds or udpa message uses the e-mail or URI
// formats; those two follow Go's parsers in the common cases rather than byte for byte.

const HEX = /^[0-9A-Fa-f]{1,4}$/;

/** The 4 bytes of a dotted-quad IPv4 address as Go parses it (no leading zeros), or `undefined`. */
export function parseIpv4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part) || (part.length > 1 && part[0] === "0")) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    out.push(v);
  }
  return out;
}

/** The 16 bytes of an IPv6 address (Go's rules: no zone, optional trailing dotted quad), or `undefined`. */
export function parseIpv6(s: string): number[] | undefined {
  if (s.includes("%")) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (text: string): number[] | undefined => {
    if (text === "") return [];
    const out: number[] = [];
    const parts = text.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as string;
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!HEX.test(part)) return undefined;
        out.push(Number.parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** What Go's `net.ParseIP(s)` makes of `s`: `"v4"` (To4() != nil), `"v6"`, or `undefined` (nil). */
export function goIpKind(s: string): "v4" | "v6" | undefined {
  if (parseIpv4(s) !== undefined) return "v4";
  if (!s.includes(":")) return undefined;
  const bytes = parseIpv6(s);
  if (bytes === undefined) return undefined;
  // IPv4-mapped addresses (::ffff:a.b.c.d) are IPv4 to Go.
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? "v4" : "v6";
}

/** PGV's hostname rule; the reason it fails, or `undefined` when `host` is a hostname. */
export function hostnameProblem(host: string, byteLength: number): string | undefined {
  const s = (host.endsWith(".") ? host.slice(0, -1) : host).toLowerCase();
  if (byteLength > 253) return "a hostname cannot exceed 253 bytes";
  for (const part of s.split(".")) {
    if (part.length === 0 || part.length > 63) return "every hostname label must be 1 to 63 characters";
    if (part[0] === "-") return "a hostname label cannot begin with a hyphen";
    if (part[part.length - 1] === "-") return "a hostname label cannot end with a hyphen";
    if (!/^[a-z0-9-]+$/.test(part)) return "hostname labels may only contain letters, digits and hyphens";
  }
  return undefined;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function isUuid(s: string): boolean {
  return UUID.test(s);
}

const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const DOT_ATOM = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
const QUOTED = /^"(?:[^"\\\r\n]|\\[^\r\n])*"$/;

/** An e-mail address as PGV checks it (mail.ParseAddress, then length and hostname limits). */
export function emailProblem(s: string): string | undefined {
  let addr = s.trim();
  const angle = /<([^<>]*)>\s*$/.exec(addr);
  if (angle?.[1] !== undefined) addr = angle[1];
  const at = addr.lastIndexOf("@");
  if (at <= 0 || at === addr.length - 1) return "not an e-mail address";
  const local = addr.slice(0, at);
  const domain = addr.slice(at + 1);
  if (!DOT_ATOM.test(local) && !QUOTED.test(local)) return "not an e-mail address";
  if (addr.length > 254) return "an e-mail address cannot exceed 254 characters";
  if (local.length > 64) return "the local part of an e-mail address cannot exceed 64 characters";
  return hostnameProblem(domain, domain.length);
}

/** What Go's url.Parse refuses, for the `uri` and `uri_ref` rules; `undefined` when it parses. */
export function uriProblem(s: string): string | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses exactly these.
  if (/[\x00-\x1f\x7f]/.test(s)) return "contains a control character";
  if (s.startsWith(":")) return "missing protocol scheme";
  const hash = s.indexOf("#");
  const body = hash < 0 ? s : s.slice(0, hash);
  if (/%(?![0-9A-Fa-f]{2})/.test(s)) return "contains an invalid percent-escape";
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(body);
  let rest = scheme === null ? body : body.slice(scheme[0].length);
  const query = rest.indexOf("?");
  if (query >= 0) rest = rest.slice(0, query);
  if (scheme === null) {
    const firstSegment = rest.split("/")[0] ?? "";
    if (firstSegment.includes(":") && !rest.startsWith("//")) return "first path segment cannot contain a colon";
  }
  if (rest.startsWith("//")) {
    const authorityEnd = rest.indexOf("/", 2);
    const authority = rest.slice(2, authorityEnd < 0 ? undefined : authorityEnd);
    const host = authority.slice(authority.lastIndexOf("@") + 1);
    if (host.startsWith("[")) {
      const close = host.indexOf("]");
      if (close < 0) return "missing ']' in host";
      const after = host.slice(close + 1);
      if (after !== "" && !/^:[0-9]*$/.test(after)) return "invalid port";
    } else {
      const colon = host.indexOf(":");
      if (colon >= 0 && !/^[0-9]*$/.test(host.slice(colon + 1))) return "invalid port";
    }
  }
  return undefined;
}

/** Whether `s` has a scheme, as url.URL.IsAbs() tells after a successful parse. */
export function uriIsAbsolute(s: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(s);
}
