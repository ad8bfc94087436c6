/**
 * Before the CA is told to validate: is the TXT record on every authoritative server of its
 * zone? The zone and its NS come from a recursive resolver (or the servers are given), then each
 * server is asked directly, without recursion, so no cache can answer for it. Polls on an
 * injected clock until all have the value or the timeout passes, then names those that do not.
 */
import { getServers } from 'node:dns';
import { systemClock, type Clock } from '../../runtime/clock.js';
import {
  absoluteName,
  Rcode,
  rcodeName,
  RRType,
  sameName,
  txtValues,
  type DecodedMessage,
} from './dns-message.js';
import { findZone, query } from './dns-query.js';
import { formatServer, parseServer, type ServerAddress } from './dns-transport.js';

export interface PropagationOptions {
  readonly fqdn: string;
  readonly value: string;
  /** Recursive resolver ("host[:port]") that finds the zone and its NS; the system's by default. */
  readonly resolver?: string;
  /** Check these servers ("host[:port]") instead of the zone's NS records. */
  readonly nameservers?: readonly string[];
  /** Port of the servers found from NS records. */
  readonly nameserverPort?: number;
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  readonly queryTimeoutMs?: number;
  readonly clock?: Clock;
}

export interface AuthoritativeServer {
  /** The NS name, or the address as given. */
  readonly name: string;
  /** Undefined when the NS name has no address. */
  readonly address?: ServerAddress;
}

export interface ServerCheck {
  readonly server: AuthoritativeServer;
  readonly found: boolean;
  /** Why the value is not there, when it is not. */
  readonly reason?: string;
}

export const DEFAULT_PROPAGATION_TIMEOUT_MS = 120_000;
export const DEFAULT_PROPAGATION_INTERVAL_MS = 2_000;

export class PropagationTimeoutError extends Error {
  constructor(
    message: string,
    /** The servers that lacked the value at the last check, as "name (address)". */
    readonly missing: readonly string[],
  ) {
    super(message);
    this.name = 'PropagationTimeoutError';
  }
}

export function describeServer(server: AuthoritativeServer): string {
  if (!server.address) return server.name;
  const address = formatServer(server.address);
  return server.name === address ? address : `${server.name} (${address})`;
}

function systemResolver(): string {
  const first = getServers()[0];
  if (!first) throw new Error('no DNS resolver configured on this system (/etc/resolv.conf); set one');
  return first;
}

/** The zone of `fqdn` and the addresses of its name servers, as `resolver` sees them. */
export async function findAuthoritativeServers(
  fqdn: string,
  resolver: ServerAddress,
  options: { port?: number; queryTimeoutMs?: number } = {},
): Promise<{ zone: string; servers: AuthoritativeServer[] }> {
  const queryOptions = { recursionDesired: true, timeoutMs: options.queryTimeoutMs };
  const zone = await findZone(resolver, fqdn, queryOptions);
  const nsAnswer = await query(resolver, zone, RRType.NS, queryOptions);
  // Sorted: servers rotate their NS order, and messages naming servers should read the same each time.
  const names = nsAnswer.answers
    .flatMap((r) =>
      r.type === RRType.NS && r.data.kind === 'name' && sameName(r.name, zone)
        ? [absoluteName(r.data.name)]
        : [],
    )
    .sort();
  if (names.length === 0) {
    throw new Error(
      `${formatServer(resolver)} returned no NS records for zone ${zone} (${rcodeName(nsAnswer.rcode)})`,
    );
  }
  const servers: AuthoritativeServer[] = [];
  for (const name of names) {
    const addresses = await addressesOf(name, nsAnswer, resolver, queryOptions);
    if (addresses.length === 0) servers.push({ name });
    for (const host of addresses) servers.push({ name, address: { host, port: options.port ?? 53 } });
  }
  return { zone, servers };
}

/** IPv4 addresses of a name server (glue first), IPv6 only when it has no IPv4 address. */
async function addressesOf(
  name: string,
  nsAnswer: DecodedMessage,
  resolver: ServerAddress,
  options: { recursionDesired: boolean; timeoutMs?: number },
): Promise<string[]> {
  for (const type of [RRType.A, RRType.AAAA]) {
    const pick = (m: DecodedMessage, section: 'answers' | 'additionals'): string[] =>
      m[section].flatMap((r) =>
        r.type === type && r.data.kind === 'address' && sameName(r.name, name) ? [r.data.address] : [],
      );
    const glue = pick(nsAnswer, 'additionals');
    if (glue.length > 0) return glue;
    const resolved = pick(await query(resolver, name, type, options), 'answers');
    if (resolved.length > 0) return resolved;
  }
  return [];
}

/** Asks each server, without recursion, whether it serves `value` at `fqdn`. */
export async function checkServers(
  servers: readonly AuthoritativeServer[],
  fqdn: string,
  value: string,
  queryTimeoutMs?: number,
): Promise<ServerCheck[]> {
  return Promise.all(
    servers.map(async (server): Promise<ServerCheck> => {
      if (!server.address) return { server, found: false, reason: 'the name server has no address' };
      try {
        const answer = await query(server.address, fqdn, RRType.TXT, {
          recursionDesired: false,
          timeoutMs: queryTimeoutMs,
        });
        if (answer.rcode !== Rcode.NOERROR && answer.rcode !== Rcode.NXDOMAIN) {
          return { server, found: false, reason: `answered ${rcodeName(answer.rcode)}` };
        }
        if (!answer.authoritative)
          return { server, found: false, reason: 'is not authoritative for the name' };
        const values = txtValues(answer.answers, fqdn);
        if (values.includes(value)) return { server, found: true };
        const reason =
          answer.rcode === Rcode.NXDOMAIN
            ? 'the name does not exist (NXDOMAIN)'
            : values.length === 0
              ? 'no TXT record'
              : `TXT has only ${values.map((v) => JSON.stringify(v)).join(', ')}`;
        return { server, found: false, reason };
      } catch (err) {
        return { server, found: false, reason: (err as Error).message };
      }
    }),
  );
}

/** Resolves once every authoritative server serves the value; rejects naming those that do not. */
export async function waitForPropagation(options: PropagationOptions): Promise<void> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROPAGATION_TIMEOUT_MS;
  const intervalMs = options.intervalMs ?? DEFAULT_PROPAGATION_INTERVAL_MS;
  const fqdn = absoluteName(options.fqdn);
  const deadline = clock.now() + timeoutMs;
  let zone: string | undefined;
  let servers: AuthoritativeServer[];
  if (options.nameservers && options.nameservers.length > 0) {
    servers = options.nameservers.map((spec) => {
      const address = parseServer(spec);
      return { name: formatServer(address), address };
    });
  } else {
    const found = await findAuthoritativeServers(fqdn, parseServer(options.resolver ?? systemResolver()), {
      port: options.nameserverPort,
      queryTimeoutMs: options.queryTimeoutMs,
    });
    zone = found.zone;
    servers = found.servers;
  }
  for (;;) {
    const checks = await checkServers(servers, fqdn, options.value, options.queryTimeoutMs);
    const missing = checks.filter((c) => !c.found);
    if (missing.length === 0) return;
    const now = clock.now();
    if (now >= deadline) {
      const seen = checks.filter((c) => c.found).map((c) => describeServer(c.server));
      throw new PropagationTimeoutError(
        `TXT record ${fqdn} with value "${options.value}" did not reach every authoritative server` +
          `${zone ? ` of ${zone}` : ''} within ${Math.round(timeoutMs / 1000)} s; missing on ` +
          missing.map((c) => `${describeServer(c.server)}: ${c.reason ?? 'not found'}`).join('; ') +
          (seen.length > 0 ? `; present on ${seen.join(', ')}` : ''),
        missing.map((c) => describeServer(c.server)),
      );
    }
    await new Promise<void>((resolve) => clock.setTimer(Math.min(intervalMs, deadline - now), resolve));
  }
}

/** `waitForPropagation` with fixed settings, in the shape the DNS-01 solver takes. */
export function propagationCheck(
  settings: Omit<PropagationOptions, 'fqdn' | 'value'> = {},
): (fqdn: string, value: string) => Promise<void> {
  return (fqdn, value) => waitForPropagation({ ...settings, fqdn, value });
}
