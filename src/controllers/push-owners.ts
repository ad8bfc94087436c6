/**
 * Owner names in the pusher ("WafRuleSet:default/base") and the routing of the pusher's status
 * changes (an ACK, a NACK, a gateway that came or went) back to the controller of that kind, so
 * it rewrites the resource's status.gateways and Synced condition.
 */
import type { PublishingKind } from '../domain/snapshot/pushed-types.js';

/** A kind named as a publisher by some pushed type of the registry (domain/snapshot/pushed-types.ts). */
export type PushedKind = PublishingKind;

export function pushOwner(kind: PushedKind, key: string): string {
  return `${kind}:${key}`;
}

export class PushStatusRouter {
  private readonly routes = new Map<string, (key: string) => void>();

  register(kind: PushedKind, enqueue: (key: string) => void): void {
    this.routes.set(kind, enqueue);
  }

  /** Hands the owner's `namespace/name` to its kind's controller; unknown owners are ignored. */
  readonly route = (owner: string): void => {
    const colon = owner.indexOf(':');
    if (colon < 0) return;
    this.routes.get(owner.slice(0, colon))?.(owner.slice(colon + 1));
  };
}
