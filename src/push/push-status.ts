/** Which selected gateways run an owner's resources at their current versions, and which refused them. */
import type { ConfigResource, CertificateResource } from '../domain/snapshot/snapshot.js';
import type { GatewayConnection } from './gateway-connection.js';

export interface PushStatus {
  readonly selected: number;
  readonly synced: number;
  readonly failed: number;
  /** "synced/selected", for `kubectl get`. */
  readonly summary: string;
  /** Gateway → the reason it refused, for conditions and Events. */
  readonly failures: readonly { readonly gateway: string; readonly message: string }[];
}

export interface OwnerResources {
  readonly config: readonly ConfigResource[];
  readonly certificates: readonly CertificateResource[];
}

export function pushStatus(owned: OwnerResources, connections: readonly GatewayConnection[]): PushStatus {
  let synced = 0;
  const failures: { gateway: string; message: string }[] = [];
  for (const connection of connections) {
    const failure = failureOn(owned, connection);
    if (failure) failures.push({ gateway: connection.gateway.name, message: failure });
    else if (syncedOn(owned, connection)) synced += 1;
  }
  const selected = connections.length;
  return { selected, synced, failed: failures.length, summary: `${synced}/${selected}`, failures };
}

function syncedOn(owned: OwnerResources, connection: GatewayConnection): boolean {
  return (
    owned.config.every((r) => connection.outcome(r.type)?.applied.get(r.name) === r.version) &&
    owned.certificates.every((c) => {
      const known = connection.certificate(c.name);
      return known?.version === c.version && known.error === undefined;
    })
  );
}

function failureOn(owned: OwnerResources, connection: GatewayConnection): string | undefined {
  for (const r of owned.config) {
    const rejected = connection.outcome(r.type)?.rejected;
    // A refusal of an earlier version is not this version's: it has not been answered yet.
    if (rejected?.sent.get(r.name) !== r.version) continue;
    const mine = rejected.resources.get(r.name);
    if (mine !== undefined) return mine;
    if (rejected.resources.size === 0) return rejected.message;
  }
  for (const c of owned.certificates) {
    const known = connection.certificate(c.name);
    if (known?.version === c.version && known.error !== undefined) return known.error;
  }
  return undefined;
}
