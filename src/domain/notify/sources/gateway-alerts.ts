/**
 * Gateways that stopped following: one whose config stream has been closed for a while (gone),
 * or one that is connected but has not applied what it should serve (not synced). What the
 * pusher knows is a snapshot; how long each state has lasted is tracked here, from one
 * observation to the next.
 */
import type { NotificationEvent } from '../event.js';

export interface GatewayObservation {
  /** namespace/pod */
  readonly name: string;
  readonly connected: boolean;
  /** Every type and certificate it should have is acknowledged at its current version. */
  readonly synced: boolean;
}

export interface GatewayTrack {
  readonly disconnectedSince?: number;
  readonly unsyncedSince?: number;
}

export interface GatewayThresholds {
  readonly goneAfterMs: number;
  readonly unsyncedAfterMs: number;
}

/** The next tracking state: gateways no longer observed are forgotten. */
export function trackGateways(
  previous: ReadonlyMap<string, GatewayTrack>,
  observations: readonly GatewayObservation[],
  now: number,
): Map<string, GatewayTrack> {
  const next = new Map<string, GatewayTrack>();
  for (const gateway of observations) {
    const before = previous.get(gateway.name) ?? {};
    next.set(gateway.name, {
      ...(gateway.connected ? {} : { disconnectedSince: before.disconnectedSince ?? now }),
      ...(gateway.connected && !gateway.synced ? { unsyncedSince: before.unsyncedSince ?? now } : {}),
    });
  }
  return next;
}

export function gatewayAlerts(
  tracks: ReadonlyMap<string, GatewayTrack>,
  now: number,
  thresholds: GatewayThresholds,
): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  for (const [gateway, track] of tracks) {
    const [namespace = '', pod = gateway] = gateway.includes('/') ? gateway.split('/', 2) : ['', gateway];
    const labels = { gateway, namespace, pod };
    if (track.disconnectedSince !== undefined && now - track.disconnectedSince >= thresholds.goneAfterMs) {
      events.push({
        type: 'GatewayGone',
        labels,
        startsAt: track.disconnectedSince,
        annotations: {
          summary: `Gateway ${gateway} has not been reachable for ${minutes(now - track.disconnectedSince)} minutes`,
          description: 'The config stream to the pod is closed; it receives no updates until it reconnects.',
        },
      });
    }
    if (track.unsyncedSince !== undefined && now - track.unsyncedSince >= thresholds.unsyncedAfterMs) {
      events.push({
        type: 'GatewayNotSynced',
        labels,
        startsAt: track.unsyncedSince,
        annotations: {
          summary: `Gateway ${gateway} has not applied its current configuration for ${minutes(now - track.unsyncedSince)} minutes`,
          description:
            'It is connected but has not acknowledged every update (or rejected one); see GET /api/v1/gateways.',
        },
      });
    }
  }
  return events;
}

function minutes(ms: number): number {
  return Math.floor(ms / 60_000);
}
