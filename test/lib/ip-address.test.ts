import { isIP } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalIp, forwardedClientIp, rateLimitKeyOfIp } from "../../src/lib/ip-address.js";

describe("canonicalIp: addresses", () => {
  it.each([
    // IPv4, and what may surround it
    ["1.2.3.4", "1.2.3.4"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["  1.2.3.4  ", "1.2.3.4"],
    ["\t9.8.4.6\r\n", "9.8.4.6"],
    ["1.2.3.4:80", "1.2.3.4"],
    ["9.8.4.6:1234", "9.8.4.6"],
    ["9.8.4.6:1235", "9.8.4.6"],
    ["9.8.4.6:0", "9.8.4.6"],
    ["9.8.4.6:65535", "9.8.4.6"],
    [" 9.8.4.6:443 ", "9.8.4.6"],
    // IPv6 in RFC 5952 form
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["FE80::ABCD:EF01", "fe80::abcd:ef01"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // equal runs: the first is compressed
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // the longest run is compressed
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["2001:db8::1:443", "2001:db8::1:443"], // unbracketed, a last group is a group, not a port
    // brackets, ports, zone ids
    ["[::1]", "::1"],
    ["[::1]:8080", "::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[2001:DB8:0::1]", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
    ["fe80::1%25", "fe80::1"],
    ["[fe80::1%eth0]:443", "fe80::1"],
    ["  [::1]:80  ", "::1"],
    // IPv4-mapped IPv6 is the IPv4 address
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:1.2.3.4", "1.2.3.4"],
    ["::ffff:0102:0304", "1.2.3.4"],
    ["::ffff:c000:201", "192.0.2.1"],
    ["0:0:0:0:0:ffff:102:304", "1.2.3.4"],
    ["0000:0000:0000:0000:0000:FFFF:0102:0304", "1.2.3.4"],
    ["::ffff:127.0.0.1", "127.0.0.1"],
    ["[::ffff:1.2.3.4]:80", "1.2.3.4"],
    ["::ffff:1.2.3.4%eth0", "1.2.3.4"],
    ["::ffff:0.0.0.0", "0.0.0.0"],
    // other embedded-IPv4 forms stay IPv6, written in hex as RFC 5952 §4 does by default
    ["::1.2.3.4", "::102:304"],
    ["64:ff9b::192.0.2.1", "64:ff9b::c000:201"],
    ["::ffff:0:1.2.3.4", "::ffff:0:102:304"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["1:2:3:4:5::1.2.3.4", "1:2:3:4:5:0:102:304"],
  ])("%j → %s", (input, canonical) => {
    expect(canonicalIp(input)).toBe(canonical);
  });
});

describe("canonicalIp: not addresses", () => {
  it.each([
    // IPv4 that other parsers read as something else: leading zeros (octal to inet_aton), hex,
    // shortened and integer forms
    "09.08.04.05",
    "010.1.1.1",
    "1.2.3.04",
    "00.0.0.0",
    "0x7f.0.0.1",
    "0x7f000001",
    "2130706433",
    "1.1",
    "127.1",
    "0177.0.0.1",
    // broken IPv4
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "1.2.3.4.",
    ".1.2.3.4",
    "1..2.3",
    "-1.2.3.4",
    "+1.2.3.4",
    "1.2.3.4 5.6.7.8",
    "1.2.3.4, 5.6.7.8",
    "１.２.３.４",
    "1.2.3.4%eth0",
    // bad ports, and brackets around IPv4
    "1.2.3.4:",
    "1.2.3.4:65536",
    "1.2.3.4:port",
    "1.2.3.4:-1",
    "1.2.3.4:80:80",
    "1.2.3.4: 80",
    "[1.2.3.4]",
    "[1.2.3.4]:80",
    // broken IPv6
    ":",
    ":::",
    ":1",
    "1:",
    "1:2",
    ":1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1::2::3",
    "::1::",
    "12345::",
    "g::1",
    "2001:db8:: 1",
    "::ffff:1.2.3",
    "::ffff:1.2.3.256",
    "::ffff:01.2.3.4",
    "1.2.3.4::",
    "1.2.3.4::1",
    "::1.2.3.4:5",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1:2:3:4:5:6::1.2.3.4",
    // brackets, ports and zones done wrong
    "[::1",
    "::1]",
    "[]",
    "[::1]443",
    "[::1]:",
    "[::1]:99999",
    "[::1]:80:80",
    "[[::1]]",
    "[ ::1 ]",
    "fe80::1%",
    "fe80::1%eth 0",
    "fe80::1%eth0%eth1",
    "fe80::1%" + "e".repeat(65),
    // not addresses at all
    "",
    "   ",
    "localhost",
    "example.com",
    "unknown",
    "not an address",
    "x".repeat(300),
    "1".repeat(300),
    `${" ".repeat(150)}1.2.3.4`, // a valid address, but over-long input is refused unread
    "1.2.3.4\u0000",
  ])("%j → null", (input) => {
    expect(canonicalIp(input)).toBeNull();
  });
});

describe("rateLimitKeyOfIp", () => {
  it.each([
    // the contract of src/lib/ip-key.ts
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:c000:0201", "192.0.2.1"],
    ["2001:db8:1:2::1", "2001:db8:1:2::/64"],
    ["2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"],
    ["2001:0db8:0001:0002:0000:0000:0000:0001", "2001:db8:1:2::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::1", "0:0:0:0::/64"],
    ["::", "0:0:0:0::/64"],
    ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
    [undefined, "unknown"],
    ["", "unknown"],
    ["  ", "unknown"],
    // what it now folds together
    ["9.8.4.6:1234", "9.8.4.6"],
    ["9.8.4.6:1235", "9.8.4.6"],
    [" 9.8.4.6 ", "9.8.4.6"],
    ["2001:DB8:1:2::1", "2001:db8:1:2::/64"],
    ["[2001:db8:1:2::1]:443", "2001:db8:1:2::/64"],
    ["[::ffff:192.0.2.1]:443", "192.0.2.1"],
    // and what is not an address: one shared bucket, never one per string
    ["09.08.04.05", "invalid"],
    ["010.1.1.1", "invalid"],
    ["not an address", "invalid"],
    ["1:2:3:4:5:6:7:8:9", "invalid"],
    ["x".repeat(300), "invalid"],
  ])("%j → %s", (address, bucket) => {
    expect(rateLimitKeyOfIp(address)).toBe(bucket);
  });

  it("gives one IPv6 /64 one bucket, and the next /64 another", () => {
    expect(rateLimitKeyOfIp("2001:db8:0:1::1")).toBe(rateLimitKeyOfIp("2001:db8:0:1:ffff:ffff:ffff:ffff"));
    expect(rateLimitKeyOfIp("2001:db8:0:1::1")).not.toBe(rateLimitKeyOfIp("2001:db8:0:2::1"));
  });

  it("gives every spelling of one IPv4 client one bucket", () => {
    const spellings = ["9.8.4.6", " 9.8.4.6", "9.8.4.6:1234", "9.8.4.6:1235", "::ffff:9.8.4.6", "::ffff:908:406", "[::ffff:9.8.4.6]:80"];
    expect(new Set(spellings.map(rateLimitKeyOfIp))).toEqual(new Set(["9.8.4.6"]));
  });

  it("puts every malformed string in the same bucket", () => {
    const garbage = ["09.08.04.05", "09.08.04.06", "a", "b", "1.2.3.4x", "::g", "[::1", "x".repeat(300)];
    expect(new Set(garbage.map(rateLimitKeyOfIp))).toEqual(new Set(["invalid"]));
  });
});

describe("forwardedClientIp", () => {
  const peer = "10.0.0.1";

  it.each([
    // 0 trusted hops: the header is ignored, whatever it says
    [undefined, peer, 0, peer],
    ["6.6.6.6", peer, 0, peer],
    ["6.6.6.6", "::ffff:10.0.0.1", 0, "10.0.0.1"],
    // N trusted hops: the N-th entry from the right
    ["9.8.4.6", peer, 1, "9.8.4.6"],
    ["6.6.6.6, 9.8.4.6", peer, 1, "9.8.4.6"],
    ["6.6.6.6, 9.8.4.6", peer, 2, "6.6.6.6"],
    ["6.6.6.6,9.8.4.6,7.7.7.7", peer, 3, "6.6.6.6"],
    [" 6.6.6.6 , 9.8.4.6 ", peer, 2, "6.6.6.6"],
    // the candidate is canonicalised
    ["9.8.4.6:1234", peer, 1, "9.8.4.6"],
    ["[2001:DB8::1]:443", peer, 1, "2001:db8::1"],
    ["::ffff:9.8.4.6", peer, 1, "9.8.4.6"],
    ["6.6.6.6, 2001:0db8:0:0::1", peer, 1, "2001:db8::1"],
    // fewer entries than trusted hops, or a candidate that is not an IP: the peer
    ["9.8.4.6", peer, 2, peer],
    ["unknown", peer, 1, peer],
    ["09.08.04.05", peer, 1, peer],
    ["example.com", peer, 1, peer],
    ["9.8.4.6,", peer, 1, peer],
    ["", peer, 1, peer],
    [undefined, peer, 1, peer],
    // the peer is canonicalised too; one that is not an address is no address
    [undefined, "::ffff:127.0.0.1", 1, "127.0.0.1"],
    ["unknown", "::FFFF:7F00:1", 1, "127.0.0.1"],
    [undefined, "[::1]:5000", 0, "::1"],
    [undefined, "garbage", 0, undefined],
    ["garbage", undefined, 1, undefined],
    [undefined, undefined, 0, undefined],
    ["9.8.4.6", undefined, 1, "9.8.4.6"],
    // hop counts that are not positive integers trust nothing
    ["9.8.4.6", peer, -1, peer],
    ["9.8.4.6", peer, 0.5, peer],
    ["9.8.4.6", peer, Number.NaN, peer],
  ] as const)("(%j, %j, %s) → %s", (forwardedFor, peerAddress, hops, expected) => {
    expect(forwardedClientIp(forwardedFor, peerAddress, hops)).toBe(expected);
  });

  it("ignores a header over 2048 characters, and reads one of exactly 2048", () => {
    const exactly = `${"1.1.1.1,".repeat(255)}9.8.4.6`.padStart(2048, " ");
    expect(exactly.length).toBe(2048);
    expect(forwardedClientIp(exactly, peer, 1)).toBe("9.8.4.6");
    expect(forwardedClientIp(` ${exactly}`, peer, 1)).toBe(peer);
  });

  it("gives the same answer for every spelling of the forwarded address", () => {
    const answers = ["9.8.4.6", "9.8.4.6:1234", "9.8.4.6:1235", "::ffff:9.8.4.6", "[::ffff:908:406]:1"].map((entry) =>
      forwardedClientIp(`6.6.6.6, ${entry}`, peer, 1),
    );
    expect(new Set(answers)).toEqual(new Set(["9.8.4.6"]));
  });
});

// Strings near the grammar: colon-joined hex groups of 0-5 digits in mixed case, IPv4 in every
// form fast-check knows (octal, hex, shortened), valid IPv6, and random text from the same alphabet.
const nearAddress = fc.oneof(
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  fc
    .array(
      fc.oneof(
        fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF"), maxLength: 5 }),
        fc.constant(""),
        fc.ipV4(),
        fc.ipV4Extended(),
      ),
      { minLength: 1, maxLength: 10 },
    )
    .map((parts) => parts.join(":")),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:."), maxLength: 45 }),
);

const hex16 = fc.integer({ min: 0, max: 0xffff });
const isMapped = (groups: number[]) => groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;

describe("properties", () => {
  it("any valid IPv4 address with any port has the key of the address alone", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 65_535 }), (ip, port) => {
        expect(canonicalIp(ip)).toBe(ip);
        expect(rateLimitKeyOfIp(`${ip}:${port}`)).toBe(rateLimitKeyOfIp(ip));
        expect(rateLimitKeyOfIp(`[::ffff:${ip}]:${port}`)).toBe(ip);
      }),
    );
  });

  it("canonicalIp is idempotent", () => {
    fc.assert(
      fc.property(fc.oneof(nearAddress, fc.string({ maxLength: 60 })), (value) => {
        const canonical = canonicalIp(value);
        if (canonical !== null) expect(canonicalIp(canonical)).toBe(canonical);
      }),
      { numRuns: 2_000 },
    );
  });

  it("accepts exactly the addresses node:net accepts (an independent strict parser), and IPv4 with a port", () => {
    fc.assert(
      fc.property(nearAddress, (value) => {
        const parts = value.split(":");
        // One colon is IPv4 and a port, which node:net does not take: check the host alone.
        const expected =
          parts.length === 2
            ? isIP(parts[0]!) === 4 && /^[0-9]{1,5}$/.test(parts[1]!) && Number(parts[1]) <= 65_535
            : isIP(value) !== 0;
        expect(canonicalIp(value) !== null).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it("writes IPv6 as the WHATWG URL serialiser does (RFC 5952), IPv4-mapped as IPv4", () => {
    fc.assert(
      fc.property(fc.ipV6(), (value) => {
        const host = new URL(`http://[${value}]/`).hostname.slice(1, -1);
        const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
        if (mapped) {
          const [high, low] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
          expect(canonicalIp(value)).toBe(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`);
        } else {
          expect(canonicalIp(value)).toBe(host);
        }
      }),
      { numRuns: 1_000 },
    );
  });

  it("groups IPv6 by /64: the last 64 bits never change the key, the first 64 always do", () => {
    fc.assert(
      fc.property(
        fc.array(hex16, { minLength: 8, maxLength: 8 }),
        fc.array(hex16, { minLength: 4, maxLength: 4 }),
        (groups, otherInterface) => {
          fc.pre(!isMapped(groups) && !isMapped([...groups.slice(0, 4), ...otherInterface]));
          const text = (parts: number[]) => parts.map((part) => part.toString(16).padStart(4, "0")).join(":");
          const key = rateLimitKeyOfIp(text(groups));
          expect(key).toBe(`${groups.slice(0, 4).map((group) => group.toString(16)).join(":")}::/64`);
          expect(rateLimitKeyOfIp(text([...groups.slice(0, 4), ...otherInterface]))).toBe(key);
          const otherPrefix = [...groups];
          otherPrefix[3] = (groups[3]! + 1) & 0xffff;
          expect(rateLimitKeyOfIp(text(otherPrefix))).not.toBe(key);
        },
      ),
    );
  });
});
