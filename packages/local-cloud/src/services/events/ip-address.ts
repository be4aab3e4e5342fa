/**
 * IP address literals as EventBridge's matcher (aws/event-ruler) reads them: only strings shaped like an
 * address are tried at all, so a host name never counts as one, and an address compares by its bytes, so
 * `::1` and `0:0:0:0:0:0:0:1` are the same address.
 */

/** An IPv4 or IPv6 address as an unsigned integer of 32 or 128 bits. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

// The shapes event-ruler accepts before it parses: anything else is plain text, never an address.
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** True when `text` has the shape of an IPv4 or IPv6 literal (it may still fail to parse). */
export const looksLikeIpAddress = (text: string): boolean => IPV4_SHAPE.test(text) || IPV6_SHAPE.test(text);

const parseIpv4 = (text: string): bigint | undefined => {
  let value = 0n;
  for (const part of text.split('.')) {
    const octet = Number.parseInt(part, 10);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
};

const parseIpv6 = (text: string): bigint | undefined => {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): string[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    return parts.every((p) => HEX_GROUP.test(p)) ? parts : undefined;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  // `::` stands for at least one zero group; without it the address must spell all eight.
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
};

/** Parses an IPv4 or IPv6 literal; undefined for anything that is not one. */
export const parseIpAddress = (text: string): IpAddress | undefined => {
  if (IPV4_SHAPE.test(text)) {
    const value = parseIpv4(text);
    return value === undefined ? undefined : { family: 4, value };
  }
  if (IPV6_SHAPE.test(text)) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  return undefined;
};

/** A CIDR block as the inclusive range of addresses it matches. */
export interface IpRange {
  family: 4 | 6;
  low: bigint;
  high: bigint;
}

/**
 * Parses `address/bits` the way event-ruler does, which is narrower than RFC 4632 in two ways AWS users
 * meet: the range starts at the address as written (host bits are not cleared, so `10.0.0.5/24` does not
 * match `10.0.0.1`), and a full-length mask (`/32`, `/128`) is refused. Throws with event-ruler's reason.
 */
export const parseCidr = (text: string): IpRange => {
  // Java's String.split drops trailing empty strings: `10.0.0.0/` is one part, not two.
  const parts = text.split('/');
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length !== 2) throw new RangeError("Malformed CIDR, one '/' required");
  const [address, bitsText] = parts as [string, string];
  if (!/^[+-]?\d+$/.test(bitsText)) throw new RangeError('Malformed CIDR, mask bits must be an integer');
  const bits = Number.parseInt(bitsText, 10);
  if (bits < 0) throw new RangeError('Malformed CIDR, mask bits must not be negative');
  const ip = looksLikeIpAddress(address) ? parseIpAddress(address) : undefined;
  if (looksLikeIpAddress(address) && !ip) throw new RangeError(`Invalid IP address: ${address}`);
  if (!ip) throw new RangeError(`Nonstandard IP address: ${address}`);
  const width = ip.family === 4 ? 32 : 128;
  if (bits > width - 1) {
    throw new RangeError(ip.family === 4 ? 'IPv4 mask bits must be < 32' : 'IPv6 mask bits must be < 128');
  }
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  return { family: ip.family, low: ip.value, high: ip.value | hostMask };
};
