/**
 * Addresses and CIDRs in and out of range lists. Reading is the hot path of a million-line feed:
 * IPv4 is scanned from the character codes of the text in place (no slicing, no regex, no
 * BigInt); IPv6, rare in feeds, goes through the general parser. Writing turns each range into
 * the fewest CIDRs that cover it exactly: the gateway's IP lists hold CIDRs, not ranges.
 */
import { formatAddress, parseAddress } from '../waf/ip.js';
import type { RangeSet } from './ip-ranges.js';

/** An address block read from text: `network` has its host bits cleared. */
export type Cidr =
  | { readonly family: 4; readonly network: number; readonly prefix: number }
  | { readonly family: 6; readonly network: bigint; readonly prefix: number };

const POW2 = Array.from({ length: 33 }, (_, i) => 2 ** i);

/**
 * An IPv4 address or CIDR in `text` between `from` and `to` (exclusive), or undefined. Leading
 * zeros are refused, as Go's netip (and so the API server's isIP) refuses them: `010.1.2.3`
 * means octal to some tools and decimal to others.
 */
export function scanV4(text: string, from: number, to: number): Cidr | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = from;
  for (; i < to; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots += 1;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + code - 48;
      digits += 1;
      if (octet > 255) return undefined;
    } else if (code === 47) {
      break;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  value = value * 256 + octet;
  let prefix = 32;
  if (i < to) {
    prefix = 0;
    let prefixDigits = 0;
    for (i += 1; i < to; i += 1) {
      const code = text.charCodeAt(i);
      if (code < 48 || code > 57 || (prefixDigits > 0 && prefix === 0)) return undefined;
      prefix = prefix * 10 + code - 48;
      prefixDigits += 1;
      if (prefix > 32) return undefined;
    }
    if (prefixDigits === 0) return undefined;
  }
  const size = POW2[32 - prefix] as number;
  return { family: 4, network: value - (value % size), prefix };
}

/** An IPv6 address or CIDR (the whole text), or undefined. */
export function parseV6(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (address?.family !== 6) return undefined;
  let prefix = 128;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return undefined;
    prefix = Number(bits);
    if (prefix > 128) return undefined;
  }
  const host = (1n << BigInt(128 - prefix)) - 1n;
  return { family: 6, network: address.value & ~host & ((1n << 128n) - 1n), prefix };
}

/** Any address or CIDR, either family. */
export function parseCidr(text: string): Cidr | undefined {
  return scanV4(text, 0, text.length) ?? (text.includes(':') ? parseV6(text) : undefined);
}

export function formatV4(value: number): string {
  return `${Math.floor(value / 16777216)}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

export function formatV6(value: bigint): string {
  return formatAddress(6, value);
}

/**
 * The fewest CIDRs covering `start`..`end` exactly, largest aligned block first — but never a
 * /0: the gateway computes a /0 mask with a shift by the full width, which matches nothing (or
 * everything), so the whole space is written as its two halves.
 */
export function v4RangeCidrs(start: number, end: number, out: string[]): void {
  let cursor = start;
  while (cursor <= end) {
    let bits = 0;
    // Grow the block while `cursor` stays aligned to it and it stays inside the range.
    while (bits < 31) {
      const size = POW2[bits + 1] as number;
      if (cursor % size !== 0 || cursor + size - 1 > end) break;
      bits += 1;
    }
    out.push(bits === 0 ? formatV4(cursor) : `${formatV4(cursor)}/${32 - bits}`);
    cursor += POW2[bits] as number;
  }
}

export function v6RangeCidrs(start: bigint, end: bigint, out: string[]): void {
  let cursor = start;
  while (cursor <= end) {
    let bits = 0n;
    while (bits < 127n) {
      const size = 1n << (bits + 1n);
      if (cursor % size !== 0n || cursor + size - 1n > end) break;
      bits += 1n;
    }
    out.push(bits === 0n ? formatV6(cursor) : `${formatV6(cursor)}/${128n - bits}`);
    cursor += 1n << bits;
  }
}

/** Every range as CIDRs, IPv4 first, each family in address order: what the gateway lists. */
export function toCidrs(set: RangeSet): string[] {
  const out: string[] = [];
  for (let i = 0; i < set.v4.length; i += 2) v4RangeCidrs(set.v4[i] as number, set.v4[i + 1] as number, out);
  for (let i = 0; i < set.v6.length; i += 2) v6RangeCidrs(set.v6[i] as bigint, set.v6[i + 1] as bigint, out);
  return out;
}

/** `start-end`, or the address alone for a single one: how ranges are shown to people. */
export function formatRange(family: 4 | 6, start: number | bigint, end: number | bigint): string {
  const show = (v: number | bigint): string => (family === 4 ? formatV4(Number(v)) : formatV6(BigInt(v)));
  return start === end ? show(start) : `${show(start)}-${show(end)}`;
}
