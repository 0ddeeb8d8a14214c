/** An address as a number and its family; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as IPv4. */
interface ParsedAddress {
  readonly v6: boolean;
  readonly value: bigint;
}

/**
 * Compiles CIDRs (`10.0.0.0/8`, `2001:db8::/32`, or a bare address) into one matcher.
 * Empty = every address; an unknown caller address never matches a non-empty list.
 */
export function compileIpAllowlist(cidrs: readonly string[]): (address: string | null) => boolean {
  if (cidrs.length === 0) return () => true;
  const ranges = cidrs.map((cidr) => {
    const range = parseCidr(cidr);
    if (!range) throw new Error(`invalid CIDR "${cidr}"`);
    return range;
  });
  return (address) => {
    const parsed = address ? parseAddress(address) : null;
    if (!parsed) return false;
    return ranges.some((r) => r.v6 === parsed.v6 && (parsed.value & r.mask) === r.network);
  };
}

export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== null;
}

function parseCidr(cidr: string): { v6: boolean; network: bigint; mask: bigint } | null {
  const [addressPart, bitsPart, extra] = cidr.trim().split('/');
  if (extra !== undefined || !addressPart) return null;
  const address = parseAddress(addressPart);
  if (!address) return null;
  const width = address.v6 ? 128 : 32;
  // A mapped IPv4 prefix length is given in IPv6 bits; bring it to IPv4 bits.
  let bits = bitsPart === undefined ? width : Number(bitsPart);
  if (bitsPart !== undefined && !/^\d{1,3}$/.test(bitsPart)) return null;
  if (!address.v6 && addressPart.includes(':') && bitsPart !== undefined) bits -= 96;
  if (!Number.isInteger(bits) || bits < 0 || bits > width) return null;
  const all = (1n << BigInt(width)) - 1n;
  const mask = bits === 0 ? 0n : (all << BigInt(width - bits)) & all;
  return { v6: address.v6, network: address.value & mask, mask };
}

function parseAddress(text: string): ParsedAddress | null {
  const address = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  if (!address.includes(':')) {
    const v4 = parseIpv4(address);
    return v4 === null ? null : { v6: false, value: v4 };
  }
  const v6 = parseIpv6(address);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { v6: false, value: v6 & 0xffffffffn };
  return { v6: true, value: v6 };
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  let head = text;
  let tailV4: bigint | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tailV4 = parseIpv4(text.slice(lastColon + 1));
    if (tailV4 === null) return null;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const left = groups(halves[0]);
  const right = groups(halves[1]);
  const missing = 8 - left.length - right.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...left, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => '0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  if (tailV4 !== null) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/**
 * The network a caller is counted under for sign-in lock-outs: an IPv4 address itself, an IPv6
 * address's /64 (one host usually holds a whole /64, so its addresses are one caller).
 */
export function callerNetwork(address: string | null): string {
  const parsed = address ? parseAddress(address) : null;
  if (!parsed) return address ?? 'unknown';
  if (!parsed.v6) return `v4:${parsed.value.toString(16)}`;
  return `v6:${(parsed.value >> 64n).toString(16)}/64`;
}
