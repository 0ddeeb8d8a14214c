/**
 * Addresses an operator with `upstreams.deny_private` does not want the gateway to reach:
 * loopback, private (RFC 1918), link-local (cloud metadata at 169.254.169.254 among them), CGNAT,
 * unique-local IPv6, multicast and reserved ranges, IPv6 forms that embed such an IPv4 address
 * (IPv4-mapped, -compatible and -translated, NAT64 64:ff9b::/96, 6to4), and the NAT64 local-use
 * prefix 64:ff9b:1::/48. Pure string work, so the admin API can refuse a base URL on any runtime.
 */
const DENIED_V4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network": 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast, then reserved up to 255.255.255.255
  ['240.0.0.0', 4],
];

function v4Number(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = value * 256 + Number(part);
  }
  return value;
}

/** DENIED_V4 as numeric [start, size) ranges, parsed once. */
const DENIED_V4_RANGES = DENIED_V4.map(([base, bits]) => [v4Number(base) ?? 0, 2 ** (32 - bits)] as const);

function v4Denied(value: number): boolean {
  return DENIED_V4_RANGES.some(([start, size]) => value >= start && value < start + size);
}

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part allowed), or null. */
function v6Groups(address: string): number[] | null {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = v4Number(dotted[1]);
    if (v4 === null) return null;
    text = `${text.slice(0, -dotted[1].length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => Number.parseInt(g, 16));
}

function v6Denied(groups: readonly number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embedded = (high: number, low: number) => v4Denied(high * 65_536 + low);
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (zeroTo(7) && (g7 === 0 || g7 === 1)) return true; // :: and ::1
  if (zeroTo(5) && g5 === 0xffff) return embedded(g6, g7); // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return embedded(g6, g7); // ::ffff:0:a.b.c.d (IPv4-translated, RFC 2765)
  if (zeroTo(6)) return embedded(g6, g7); // ::a.b.c.d (IPv4-compatible)
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return embedded(g6, g7); // NAT64
  // NAT64 local-use (RFC 8215): the operator's own translator, to any IPv4 it is set up for, with
  // the IPv4 at a position that depends on the prefix length it chose: the whole /48 is refused.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true;
  if (g0 === 0x2002) return embedded(g1, g2); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return true; // link-local, site-local
  return (g0 & 0xff00) === 0xff00; // multicast
}

/** Whether an IP address (v4 or v6, no brackets) is one `deny_private` refuses; null: not an IP. */
export function isPrivateAddress(address: string): boolean | null {
  const v4 = v4Number(address);
  if (v4 !== null) return v4Denied(v4);
  const v6 = address.includes(':') ? v6Groups(address) : null;
  return v6 === null ? null : v6Denied(v6);
}

/**
 * Whether a URL hostname (as `new URL()` leaves it: IPv4 canonical, IPv6 in brackets) names a
 * denied address or `localhost`. Other names are only known after DNS, where the Node upstream
 * fetch checks them again.
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isPrivateAddress(bare) === true;
}
