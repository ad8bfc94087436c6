/**
 * IP addresses and CIDRs as the gateway's IP filter reads them (its `ip_filter.rs`): an entry is
 * an address or `address/prefix`; host bits are masked off before comparing; an IPv4 entry never
 * matches an IPv6 client and the reverse. Entries are normalised (network address, canonical
 * text, a full-length prefix written as a plain address) so equal lists compare and hash equal.
 */
import { isCIDR, isIP } from '../../api/v1alpha1/checks/network.js';

export interface IpEntry {
  readonly family: 4 | 6;
  /** The network address with host bits cleared. */
  readonly network: bigint;
  readonly prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BITS[family];
  return ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

/** The address as a number, or undefined when it is not an address the gateway's filter can hold. */
export function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  if (!isIP(text)) return undefined;
  return text.includes(':') ? { family: 6, value: ipv6Value(text) } : { family: 4, value: ipv4Value(text) };
}

function ipv6Value(text: string): bigint {
  let body = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // An embedded IPv4 tail such as ::1.2.3.4 stands for the last two groups.
    const v4 = Number(ipv4Value(last));
    tail.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
    body = text.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const [head = '', rest] = body.split('::');
  let groups: number[];
  if (rest === undefined) {
    groups = [...parse(head), ...tail];
  } else {
    const left = parse(head);
    const right = [...parse(rest), ...tail];
    groups = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function ipv4Value(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** An IP-list entry, or undefined when it is neither an address nor a CIDR. */
export function parseEntry(text: string): IpEntry | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) {
    const address = parseAddress(text);
    return address && { family: address.family, network: address.value, prefix: BITS[address.family] };
  }
  if (!isCIDR(text)) return undefined;
  const address = parseAddress(text.slice(0, slash));
  if (!address) return undefined;
  const prefix = Number(text.slice(slash + 1));
  return { family: address.family, network: address.value & mask(address.family, prefix), prefix };
}

export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run of two or more zero groups becomes `::`, the first of equal runs.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

export function formatEntry(entry: IpEntry): string {
  const address = formatAddress(entry.family, entry.network);
  return entry.prefix === BITS[entry.family] ? address : `${address}/${entry.prefix}`;
}

function compareEntries(a: IpEntry, b: IpEntry): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefix - b.prefix;
}

/**
 * Normalised, de-duplicated, IPv4 before IPv6, by network address then prefix. Entries that do
 * not parse are dropped: validation reports them before anything is normalised.
 */
export function normaliseIpList(list: readonly string[]): string[] {
  const entries = list.flatMap((text) => parseEntry(text) ?? []).sort(compareEntries);
  return [...new Set(entries.map(formatEntry))];
}

/** A dotted quad as a number, without leading zeros (as isIP reads it); undefined otherwise. */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i += 1) {
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
    } else {
      return undefined;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + octet : undefined;
}

/** Membership test built once per list: one set lookup per distinct prefix length. */
export class IpMatcher {
  /** IPv4 in plain numbers (the common case, no BigInt work per request), IPv6 in BigInt. */
  private readonly v4: { mask: number; networks: Set<number> }[] = [];
  private readonly v6: { mask: bigint; networks: Set<bigint> }[] = [];
  readonly size: number;

  constructor(list: readonly string[]) {
    const v4 = new Map<number, Set<number>>();
    const v6 = new Map<number, Set<bigint>>();
    let size = 0;
    for (const text of list) {
      const entry = parseEntry(text);
      if (!entry) continue;
      size += 1;
      if (entry.family === 4) {
        const set = v4.get(entry.prefix) ?? new Set<number>();
        set.add(Number(entry.network));
        v4.set(entry.prefix, set);
      } else {
        const set = v6.get(entry.prefix) ?? new Set<bigint>();
        set.add(entry.network);
        v6.set(entry.prefix, set);
      }
    }
    for (const [prefix, networks] of v4) this.v4.push({ mask: Number(mask(4, prefix)), networks });
    for (const [prefix, networks] of v6) this.v6.push({ mask: mask(6, prefix), networks });
    this.size = size;
  }

  /** Whether the client is in the list; a client without a valid address is in no list. */
  has(client: string | undefined): boolean {
    if (client === undefined || this.size === 0) return false;
    const v4 = parseIpv4(client);
    if (v4 !== undefined) {
      // Unsigned 32-bit AND: `&` on numbers is signed, `>>> 0` brings it back.
      return this.v4.some((g) => g.networks.has((v4 & g.mask) >>> 0));
    }
    if (this.v6.length === 0) return false;
    const address = parseAddress(client);
    if (address?.family !== 6) return false;
    return this.v6.some((g) => g.networks.has(address.value & g.mask));
  }
}
