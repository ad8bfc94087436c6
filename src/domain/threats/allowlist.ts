/**
 * What one ThreatAllowlist holds: its inline CIDRs and the lines of the ConfigMaps it names,
 * read into a range list. Pure; the I/O edge hands in the ConfigMaps as they are (or as missing),
 * and gets back the ranges and what to tell the user about lines or ConfigMaps it could not use.
 */
import { parseCidr, type Cidr } from './cidrs.js';
import { sweepV4, sweepV6, union, EMPTY_RANGES, type RangeSet } from './ip-ranges.js';

export interface AllowlistConfigMap {
  readonly name: string;
  readonly key: string;
  /**
   * The ConfigMap's text at `key`, or why there is none: not there, there but without the label
   * the operator watches by, or without the key.
   */
  readonly content: { readonly text: string } | { readonly absent: 'missing' | 'unlabelled' | 'no-key' };
}

export interface AllowlistInput {
  readonly cidrs: readonly string[];
  readonly configMaps: readonly AllowlistConfigMap[];
}

export interface AllowlistContent {
  readonly ranges: RangeSet;
  /** Addresses and CIDRs read. */
  readonly entries: number;
  /** ConfigMap lines that are not addresses or CIDRs. */
  readonly invalid: number;
  /** Problems to show, one per ConfigMap at most. */
  readonly problems: readonly string[];
}

export function readAllowlist(input: AllowlistInput, label: string): AllowlistContent {
  const cidrs: Cidr[] = [];
  let invalid = 0;
  const problems: string[] = [];
  for (const text of input.cidrs) {
    const cidr = parseCidr(text);
    if (cidr) cidrs.push(cidr);
  }
  for (const ref of input.configMaps) {
    const where = `ConfigMap ${ref.name}`;
    if ('absent' in ref.content) {
      const why = {
        missing: `${where} was not found`,
        unlabelled: `${where} is not labelled ${label}: "true", so the operator does not read it`,
        'no-key': `${where} has no key ${ref.key}`,
      };
      problems.push(why[ref.content.absent]);
      continue;
    }
    const bad: number[] = [];
    ref.content.text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const cidr = parseCidr(line);
      if (cidr) cidrs.push(cidr);
      else bad.push(i + 1);
    });
    if (bad.length > 0) {
      invalid += bad.length;
      const shown = bad.slice(0, 5).join(', ');
      problems.push(
        `${where}, key ${ref.key}: line${bad.length > 1 ? 's' : ''} ${shown}${bad.length > 5 ? ' and more' : ''} ${bad.length > 1 ? 'are' : 'is'} not an IP address or CIDR (ignored)`,
      );
    }
  }
  return { ranges: rangesOfCidrs(cidrs), entries: cidrs.length, invalid, problems };
}

/** Every allowlist together. */
export function uniteAllowlists(lists: readonly RangeSet[]): RangeSet {
  return lists.reduce((all, list) => union(all, list), EMPTY_RANGES);
}

function rangesOfCidrs(cidrs: readonly Cidr[]): RangeSet {
  const v4 = cidrs.filter((c): c is Extract<Cidr, { family: 4 }> => c.family === 4);
  const v6 = cidrs.filter((c): c is Extract<Cidr, { family: 6 }> => c.family === 6);
  return {
    v4: sweepV4(
      Float64Array.from(v4, (c) => c.network),
      Float64Array.from(v4, (c) => c.network + 2 ** (32 - c.prefix)),
    ),
    v6: sweepV6(
      v6.map((c) => c.network),
      v6.map((c) => c.network + (1n << BigInt(128 - c.prefix))),
    ),
  };
}
