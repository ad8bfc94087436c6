/**
 * The sources this build runs itself, over what the leader already holds: the Certificate and
 * WafRuleSet caches and the pusher's gateway connections. Each evaluates a pure function of
 * src/domain/notify/sources/ and hands the full set to Notifier.replace.
 */
import { statusOf, type Certificate, type WafRuleSet } from '../../api/v1alpha1/index.js';
import { certificateAlerts } from '../../domain/notify/sources/certificate-alerts.js';
import {
  gatewayAlerts,
  trackGateways,
  type GatewayTrack,
} from '../../domain/notify/sources/gateway-alerts.js';
import { wafAlerts } from '../../domain/notify/sources/waf-alerts.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { Logger } from '../../runtime/logger.js';
import type { Notifier } from '../notifier.js';
import { PeriodicSource } from './periodic-source.js';

export interface SourceThresholds {
  readonly certificateExpiryDays: number;
  readonly gatewayGoneMinutes: number;
  readonly gatewayUnsyncedMinutes: number;
}

/** What the gateway source reads of the pusher: each connection's state (leader only). */
export interface GatewayStates {
  gateways(): readonly {
    readonly gateway: { readonly name: string };
    readonly connected: boolean;
    inSync(): boolean;
  }[];
}

export interface BuiltinSourceOptions {
  readonly notifier: Notifier;
  readonly certificates: Informer<Certificate>;
  readonly wafRuleSets: Informer<WafRuleSet>;
  readonly gateways: GatewayStates;
  readonly thresholds: SourceThresholds;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export function builtinSources(options: BuiltinSourceOptions): PeriodicSource[] {
  const clock = options.clock ?? systemClock;
  const { notifier, logger, thresholds } = options;
  const certificates = new PeriodicSource({
    name: 'notification-source-certificates',
    source: 'certificates',
    notifier,
    logger,
    clock,
    periodMs: 60_000,
    evaluate: () =>
      certificateAlerts(
        options.certificates.store.list().map((c) => {
          const status = statusOf(c);
          return {
            namespace: c.metadata.namespace ?? '',
            name: c.metadata.name ?? '',
            secretName: c.spec.secretName,
            ...(status?.notAfter ? { notAfter: status.notAfter } : {}),
            ...(status?.failedIssuanceAttempts
              ? { failedIssuanceAttempts: status.failedIssuanceAttempts }
              : {}),
            ...(status?.lastFailureMessage ? { lastFailureMessage: status.lastFailureMessage } : {}),
            ...(status?.conditions ? { conditions: status.conditions } : {}),
          };
        }),
        clock.now(),
        { expiryDays: thresholds.certificateExpiryDays },
      ),
  });
  const waf = new PeriodicSource({
    name: 'notification-source-wafrulesets',
    source: 'wafrulesets',
    notifier,
    logger,
    clock,
    periodMs: 300_000,
    evaluate: () =>
      wafAlerts(
        options.wafRuleSets.store.list().map((rs) => {
          const status = statusOf(rs);
          return {
            namespace: rs.metadata.namespace ?? '',
            name: rs.metadata.name ?? '',
            ...(status?.revision !== undefined ? { revision: status.revision } : {}),
            ...(status?.conditions ? { conditions: status.conditions } : {}),
          };
        }),
      ),
  });
  let tracks = new Map<string, GatewayTrack>();
  const gateways = new PeriodicSource({
    name: 'notification-source-gateways',
    source: 'gateways',
    notifier,
    logger,
    clock,
    periodMs: 30_000,
    evaluate: () => {
      const now = clock.now();
      tracks = trackGateways(
        tracks,
        options.gateways
          .gateways()
          .map((c) => ({ name: c.gateway.name, connected: c.connected, synced: c.inSync() })),
        now,
      );
      return gatewayAlerts(tracks, now, {
        goneAfterMs: thresholds.gatewayGoneMinutes * 60_000,
        unsyncedAfterMs: thresholds.gatewayUnsyncedMinutes * 60_000,
      });
    },
  });
  const onChange = (source: PeriodicSource) => ({
    onAdd: () => source.changed(),
    onUpdate: () => source.changed(),
    onDelete: () => source.changed(),
  });
  options.certificates.addHandler(onChange(certificates));
  options.wafRuleSets.addHandler(onChange(waf));
  return [certificates, waf, gateways];
}
