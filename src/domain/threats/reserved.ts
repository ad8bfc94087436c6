/**
 * Address blocks no deny list may ever hold: private, loopback, link-local, shared (CGNAT),
 * multicast, documentation, benchmarking and reserved space (the IANA special-purpose registries,
 * RFC 6890). Threat feeds list some of them on purpose — FireHOL level1 carries the bogons
 * (firehol/blocklist-ipsets issues #12, #70, #213) — and pushing them to a gateway would cut it
 * off from its own cluster, load balancers and health checks. They are stripped from every feed,
 * always; a decision source may keep a part of them only when told to explicitly.
 */
import { parseCidr } from './cidrs.js';
import { sweepV4, sweepV6, type RangeSet } from './ip-ranges.js';

export interface ReservedBlock {
  readonly cidr: string;
  readonly why: string;
}

export const RESERVED_BLOCKS: readonly ReservedBlock[] = [
  { cidr: '0.0.0.0/8', why: '"this network" (RFC 791)' },
  { cidr: '10.0.0.0/8', why: 'private (RFC 1918)' },
  { cidr: '100.64.0.0/10', why: 'shared address space, carrier-grade NAT (RFC 6598)' },
  { cidr: '127.0.0.0/8', why: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', why: 'link-local (RFC 3927)' },
  { cidr: '172.16.0.0/12', why: 'private (RFC 1918)' },
  { cidr: '192.0.0.0/24', why: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.0.2.0/24', why: 'documentation, TEST-NET-1 (RFC 5737)' },
  { cidr: '192.88.99.0/24', why: '6to4 relay anycast, deprecated (RFC 7526)' },
  { cidr: '192.168.0.0/16', why: 'private (RFC 1918)' },
  { cidr: '198.18.0.0/15', why: 'benchmarking (RFC 2544)' },
  { cidr: '198.51.100.0/24', why: 'documentation, TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', why: 'documentation, TEST-NET-3 (RFC 5737)' },
  { cidr: '224.0.0.0/4', why: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', why: 'reserved, and the limited broadcast address (RFC 1112, RFC 919)' },
  {
    cidr: '::/8',
    why: 'reserved: the unspecified address ::, loopback ::1, IPv4-mapped ::ffff:0:0/96 and the NAT64 prefix (RFC 4291, RFC 6052)',
  },
  { cidr: '64:ff9b:1::/48', why: 'local-use NAT64 (RFC 8215)' },
  { cidr: '100::/64', why: 'discard-only (RFC 6666)' },
  { cidr: '2001:2::/48', why: 'benchmarking (RFC 5180)' },
  { cidr: '2001:10::/28', why: 'ORCHID, deprecated (RFC 4843)' },
  { cidr: '2001:db8::/32', why: 'documentation (RFC 3849)' },
  { cidr: '3fff::/20', why: 'documentation (RFC 9637)' },
  { cidr: 'fc00::/7', why: 'unique local (RFC 4193)' },
  { cidr: 'fe80::/10', why: 'link-local (RFC 4291)' },
  { cidr: 'fec0::/10', why: 'site-local, deprecated (RFC 3879)' },
  { cidr: 'ff00::/8', why: 'multicast (RFC 4291)' },
];

/** A range list from CIDR texts, which must all parse (a programming error otherwise). */
export function rangesOf(cidrs: readonly string[]): RangeSet {
  const v4Starts: number[] = [];
  const v4Ends: number[] = [];
  const v6Starts: bigint[] = [];
  const v6Ends: bigint[] = [];
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (!cidr) throw new RangeError(`not a CIDR: ${text}`);
    if (cidr.family === 4) {
      v4Starts.push(cidr.network);
      v4Ends.push(cidr.network + 2 ** (32 - cidr.prefix));
    } else {
      v6Starts.push(cidr.network);
      v6Ends.push(cidr.network + (1n << BigInt(128 - cidr.prefix)));
    }
  }
  return {
    v4: sweepV4(Float64Array.from(v4Starts), Float64Array.from(v4Ends)),
    v6: sweepV6(v6Starts, v6Ends),
  };
}

export const RESERVED_RANGES: RangeSet = rangesOf(RESERVED_BLOCKS.map((b) => b.cidr));
