/**
 * The rate-limit bucket of a client address. An IPv4 address is its own bucket; an IPv6 address is
 * bucketed by its /64 prefix, because one subscriber is routinely handed a whole /64 (RFC 6177) and
 * could otherwise rotate through 2^64 addresses, each with a fresh limit. IPv4-mapped IPv6
 * addresses (`::ffff:192.0.2.1`, what a dual-stack Node socket reports) count as the IPv4 address.
 * Anything unparseable is used as given (bounded), and no address at all shares one bucket.
 */
export function rateLimitKeyOfIp(address: string | undefined): string {
  if (!address) return "unknown";
  const value = address.trim().slice(0, 64);
  if (isIpv4(value)) return value;
  const groups = parseIpv6(value);
  if (!groups) return value;
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high, low] = [groups[6]!, groups[7]!];
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

function isIpv4(value: string): boolean {
  const parts = value.split(".");
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function parseIpv6(input: string): number[] | null {
  let value = input.toLowerCase();
  const zone = value.indexOf("%");
  if (zone !== -1) value = value.slice(0, zone);
  if (!value.includes(":") || !/^[0-9a-f:.]+$/.test(value)) return null;

  // A trailing dotted IPv4 part stands for the last two groups: parse it as two placeholder
  // groups, then put its value there.
  let embedded: [number, number] | undefined;
  const lastColon = value.lastIndexOf(":");
  const last = value.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!isIpv4(last)) return null;
    const [a, b, c, d] = last.split(".").map(Number) as [number, number, number, number];
    embedded = [(a << 8) | b, (c << 8) | d];
    value = `${value.slice(0, lastColon + 1)}0:0`;
  }

  const halves = value.split("::");
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === "") return [];
    const groups = part.split(":");
    if (groups.some((group) => !/^[0-9a-f]{1,4}$/.test(group))) return null;
    return groups.map((group) => Number.parseInt(group, 16));
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  const known = head.length + rest.length;
  let groups: number[];
  if (halves.length === 2) {
    if (known > 7) return null;
    groups = [...head, ...Array<number>(8 - known).fill(0), ...rest];
  } else {
    if (known !== 8) return null;
    groups = head;
  }
  if (embedded) [groups[6], groups[7]] = embedded;
  return groups;
}
