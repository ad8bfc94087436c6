/**
 * Conflicts across RouteConfigs: the same hostname and the same match claimed twice. The oldest
 * RouteConfig keeps the match (creationTimestamp, then namespace/name, as Gateway API breaks ties
 * between routes), so a newcomer can never take traffic from a route that already serves it. The
 * losing route is left out of its payload as a whole; the loser's other routes still ship.
 */
import { compareStrings, describeMatch } from './match.js';
import type { PreparedConfig, PreparedRoute } from './prepare.js';
import type { RouteConflict } from './types.js';

export interface Claimant {
  /** 'namespace/name' */
  readonly key: string;
  readonly creationTimestamp: string;
  readonly prepared: PreparedConfig;
}

export interface ClaimOutcome {
  /** The routes that keep their matches, in the prepared (precedence) order. */
  readonly kept: readonly PreparedRoute[];
  readonly conflicts: readonly RouteConflict[];
}

/** Milliseconds; an unparsable timestamp counts as newest, so it cannot take over a match. */
function age(claimant: Claimant): number {
  const time = Date.parse(claimant.creationTimestamp);
  return Number.isNaN(time) ? Infinity : time;
}

/** Oldest first, then by namespace/name. */
export function byAge(claimants: readonly Claimant[]): Claimant[] {
  return claimants
    .map((claimant) => ({ claimant, time: age(claimant) }))
    .sort((a, b) =>
      a.time === b.time ? compareStrings(a.claimant.key, b.claimant.key) : a.time < b.time ? -1 : 1,
    )
    .map(({ claimant }) => claimant);
}

// The last call: when no RouteConfig changed (an EndpointSlice did), the claims are the same.
let last:
  { readonly claimants: readonly Claimant[]; readonly outcomes: Map<string, ClaimOutcome> } | undefined;

function sameClaimants(a: readonly Claimant[], b: readonly Claimant[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i];
      return (
        y !== undefined &&
        x.key === y.key &&
        x.creationTimestamp === y.creationTimestamp &&
        x.prepared === y.prepared
      );
    })
  );
}

export function resolveConflicts(claimants: readonly Claimant[]): ReadonlyMap<string, ClaimOutcome> {
  if (last && sameClaimants(last.claimants, claimants)) return last.outcomes;
  const outcomes = claim(claimants);
  last = {
    claimants: claimants.map(({ key, creationTimestamp, prepared }) => ({
      key,
      creationTimestamp,
      prepared,
    })),
    outcomes,
  };
  return outcomes;
}

function claim(claimants: readonly Claimant[]): Map<string, ClaimOutcome> {
  const owners = new Map<string, { readonly config: string; readonly route: string }>();
  const outcomes = new Map<string, ClaimOutcome>();
  for (const claimant of byAge(claimants)) {
    const kept: PreparedRoute[] = [];
    const conflicts: RouteConflict[] = [];
    for (const route of claimant.prepared.routes) {
      // One conflict per route and winner, listing the hostnames they share.
      const lost = new Map<string, { winner: string; winnerRoute: string; hosts: string[] }>();
      for (const [i, host] of claimant.prepared.hostnames.entries()) {
        const owner = owners.get(route.claims[i] ?? '');
        if (!owner) continue;
        const id = `${owner.config}\u0000${owner.route}`;
        const entry = lost.get(id) ?? { winner: owner.config, winnerRoute: owner.route, hosts: [] };
        entry.hosts.push(host);
        lost.set(id, entry);
      }
      if (lost.size === 0) {
        for (const claim of route.claims) owners.set(claim, { config: claimant.key, route: route.name });
        kept.push(route);
        continue;
      }
      for (const { winner, winnerRoute, hosts } of lost.values()) {
        conflicts.push({
          route: route.name,
          match: `${describeMatch(route.match)} on ${hosts.join(', ')}`,
          winner,
          winnerRoute,
        });
      }
    }
    outcomes.set(claimant.key, { kept, conflicts });
  }
  return outcomes;
}
