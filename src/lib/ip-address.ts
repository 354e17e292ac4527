/**
 * Canonical client addresses, for rate-limit keys and for what is recorded of a client.
 *
 * A rate limit is only as good as its key: if `9.8.4.6:1234` and `9.8.4.6:1235`, or `1.2.3.4` and
 * `::ffff:1.2.3.4`, or `2001:DB8::1` and `2001:db8:0::1`, are different strings to the limiter, one
 * client gets a fresh bucket per spelling. So every address is parsed strictly and written back in
 * exactly one form, and whatever does not parse is not an address at all.
 *
 * Web-standard only (no `node:net`), so this runs unchanged on Node and Bun.
 */

/**
 * Longer than any address form accepted here (`[` + a 45-character IPv6 with an IPv4 tail + a zone
 * id + `]:65535`, with some whitespace around), and short enough that hostile input is refused
 * before any parsing.
 */
const MAX_INPUT_LENGTH = 128;

/** Interface names (Linux allows 15 bytes) or numeric indexes (Windows); RFC 6874's unreserved set. */
const ZONE_ID = /^[0-9A-Za-z._~-]{1,64}$/;

/**
 * Strict dotted decimal: four parts, each 0-255 without leading zeros. `010.1.1.1` is 8.1.1.1 to
 * inet_aton and 10.1.1.1 to others, and `1.1`, `0x7f.1` or `2130706433` are loopback to some
 * parsers: refusing every form but one is what makes the text canonical.
 */
const IPV4_PART = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])";
const IPV4 = new RegExp(`^${IPV4_PART}(?:\\.${IPV4_PART}){3}$`);
const HEX_GROUP = /^[0-9a-f]{1,4}$/;
const PORT = /^[0-9]{1,5}$/;

type ParsedIp = { version: 4; text: string } | { version: 6; groups: number[] };

/**
 * The canonical text of an IP address, or null when `value` is not one.
 *
 * Accepts, around the address: surrounding whitespace; a `:port` after an IPv4 address
 * (`1.2.3.4:80`); brackets with or without a port (`[2001:db8::1]:443`, `[::1]`); a zone id after
 * an IPv6 address (`fe80::1%eth0`), which is dropped. Answers IPv4 in dotted decimal, IPv4-mapped
 * IPv6 (`::ffff:1.2.3.4`, `::ffff:0102:0304`) as the IPv4 address it stands for, and any other IPv6
 * in RFC 5952 form (lower case, no leading zeros, the longest run of two or more zero groups as
 * `::`). Null for hostnames, octal/hex/shortened IPv4, an unbracketed IPv6 with a port, garbage
 * and anything over 128 characters.
 */
export function canonicalIp(value: string): string | null {
  const parsed = parseIp(value);
  if (!parsed) return null;
  return parsed.version === 4 ? parsed.text : formatIpv6(parsed.groups);
}

/**
 * The rate-limit bucket of a client address. An IPv4 address is its own bucket; an IPv6 address is
 * bucketed by its /64 prefix (`2001:db8:1:2::/64`), because one subscriber is routinely handed a
 * whole /64 (RFC 6177) and could otherwise rotate through 2^64 addresses, each with a fresh limit.
 * IPv4-mapped IPv6 addresses (what a dual-stack socket reports) count as the IPv4 address. No
 * address at all is the shared bucket `unknown`.
 *
 * Anything that is not an address shares the one bucket `invalid`. Using the string itself as the
 * key, as the old ip-key.ts did, gives whoever controls the string (a forwarded header through a
 * misconfigured proxy, a future caller) a fresh, full bucket per spelling: `1.2.3.4 `, `1.2.3.4x`,
 * and so no limit at all. One shared bucket costs nothing legitimate, since a real peer address
 * always parses.
 */
export function rateLimitKeyOfIp(address: string | undefined): string {
  if (address === undefined || address.trim() === "") return "unknown";
  const parsed = parseIp(address);
  if (!parsed) return "invalid";
  if (parsed.version === 4) return parsed.text;
  // The same text as the old ip-key.ts gave (four groups in short hex), so existing buckets keep
  // their keys across the change.
  return `${parsed.groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

const MAX_FORWARDED_LENGTH = 2048;

/**
 * The client's address, canonical, or undefined when there is none. `X-Forwarded-For` is believed
 * only as far as `trustedHops` proxies that we run ourselves: each appends the address it received
 * the request from, so with N trusted hops the client is the N-th entry from the right. With 0 (the
 * default) the header is ignored entirely, so a client cannot choose its own address (and with it
 * its rate-limit bucket). A header over 2048 characters is ignored, as is an entry that is not an
 * IP address (`unknown`, a hostname, garbage): then the peer's address is the client's.
 *
 * The peer address is canonicalised too: a dual-stack socket reports `::ffff:127.0.0.1` for an
 * IPv4 client. A peer address that does not parse is undefined rather than passed on, so nothing
 * that is not an address reaches a bucket or a stored record.
 */
export function forwardedClientIp(
  forwardedFor: string | undefined,
  peer: string | undefined,
  trustedHops: number,
): string | undefined {
  const peerAddress = peer === undefined ? undefined : (canonicalIp(peer) ?? undefined);
  if (!Number.isInteger(trustedHops) || trustedHops < 1) return peerAddress;
  if (!forwardedFor || forwardedFor.length > MAX_FORWARDED_LENGTH) return peerAddress;
  const entries = forwardedFor.split(",");
  const candidate = entries[entries.length - trustedHops];
  if (candidate === undefined) return peerAddress;
  return canonicalIp(candidate) ?? peerAddress;
}

function parseIp(value: string): ParsedIp | null {
  if (typeof value !== "string" || value.length > MAX_INPUT_LENGTH) return null;
  let text = value.trim();

  if (text.startsWith("[")) {
    // Brackets are for IPv6 only (RFC 3986 §3.2.2), with an optional port after them.
    const close = text.indexOf("]");
    if (close === -1) return null;
    const after = text.slice(close + 1);
    if (after !== "" && !(after.startsWith(":") && isPort(after.slice(1)))) return null;
    text = text.slice(1, close);
    const groups = parseIpv6WithZone(text);
    return groups ? ipv6OrMapped(groups) : null;
  }

  const colons = countOf(text, ":");
  if (colons === 0) return IPV4.test(text) ? { version: 4, text } : null;
  if (colons === 1) {
    // An IPv6 address has at least two colons, so one colon can only be IPv4 and a port.
    const [host, port] = text.split(":") as [string, string];
    return IPV4.test(host) && isPort(port) ? { version: 4, text: host } : null;
  }
  // Unbracketed IPv6: a port cannot follow (`2001:db8::1:443` is itself an address).
  const groups = parseIpv6WithZone(text);
  return groups ? ipv6OrMapped(groups) : null;
}

function isPort(text: string): boolean {
  return PORT.test(text) && Number(text) <= 65_535;
}

function countOf(text: string, character: string): number {
  let count = 0;
  for (let i = text.indexOf(character); i !== -1; i = text.indexOf(character, i + 1)) count++;
  return count;
}

/** `::ffff:a.b.c.d` (`::ffff:0:0/96`, RFC 4291 §2.5.5.2) is the IPv4 address a.b.c.d. */
function ipv6OrMapped(groups: number[]): ParsedIp {
  const mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (!mapped) return { version: 6, groups };
  const [high, low] = [groups[6] as number, groups[7] as number];
  return { version: 4, text: `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}` };
}

function parseIpv6WithZone(text: string): number[] | null {
  const percent = text.indexOf("%");
  if (percent !== -1) {
    if (!ZONE_ID.test(text.slice(percent + 1))) return null;
    text = text.slice(0, percent);
  }
  return parseIpv6(text.toLowerCase());
}

/**
 * The eight 16-bit groups of an IPv6 address in RFC 4291 §2.2 text form, or null: groups of 1-4 hex
 * digits, at most one `::` standing for one or more zero groups, and optionally a strict dotted IPv4
 * address as the last 32 bits.
 */
function parseIpv6(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/.test(text)) return null;
  const gap = text.indexOf("::");
  // A second `::` (which also catches `:::`) makes the length of each gap ambiguous.
  if (gap !== -1 && text.indexOf("::", gap + 1) !== -1) return null;
  const headText = gap === -1 ? text : text.slice(0, gap);
  const tailText = gap === -1 ? "" : text.slice(gap + 2);

  const head = headText === "" ? [] : headText.split(":");
  const tail = tailText === "" ? [] : tailText.split(":");
  // The dotted IPv4 tail stands for the last two groups, so it can only end the text: never before
  // a `::` (`1.2.3.4::` is not an address) and never in the middle.
  const last = gap === -1 ? head : tail;
  let embedded: number[] = [];
  if (last.length > 0 && (last[last.length - 1] as string).includes(".")) {
    const ipv4 = last.pop() as string;
    if (!IPV4.test(ipv4)) return null;
    const [a, b, c, d] = ipv4.split(".").map(Number) as [number, number, number, number];
    embedded = [(a << 8) | b, (c << 8) | d];
  }

  const parseGroups = (parts: string[]): number[] | null =>
    parts.every((part) => HEX_GROUP.test(part)) ? parts.map((part) => Number.parseInt(part, 16)) : null;
  const headGroups = parseGroups(head);
  const tailGroups = parseGroups(tail);
  if (!headGroups || !tailGroups) return null;

  if (gap === -1) {
    const groups = [...headGroups, ...embedded];
    return groups.length === 8 ? groups : null;
  }
  // `::` stands for at least one zero group (RFC 4291 §2.2), so at most 7 may be written out.
  const explicit = headGroups.length + tailGroups.length + embedded.length;
  if (explicit > 7) return null;
  return [...headGroups, ...Array<number>(8 - explicit).fill(0), ...tailGroups, ...embedded];
}

/** RFC 5952 §4: lower-case hex, no leading zeros, the first longest run of 2+ zero groups as `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    if (groups[start] !== 0) {
      start++;
      continue;
    }
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end;
  }
  const hex = (part: number[]) => part.map((group) => group.toString(16)).join(":");
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
