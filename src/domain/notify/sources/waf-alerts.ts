/**
 * A WafRuleSet's Degraded condition as events: gateways rejected a revision and the controller
 * either rolled back to the last good one or had none to roll back to.
 */
import type { NotificationEvent } from '../event.js';

export interface WafRuleSetView {
  readonly namespace: string;
  readonly name: string;
  readonly revision?: number;
  readonly conditions?: readonly {
    readonly type: string;
    readonly status: string;
    readonly reason: string;
    readonly message: string;
  }[];
}

export function wafAlerts(ruleSets: readonly WafRuleSetView[]): NotificationEvent[] {
  const events: NotificationEvent[] = [];
  for (const rs of ruleSets) {
    const degraded = rs.conditions?.find((c) => c.type === 'Degraded');
    if (degraded?.status !== 'True') continue;
    const { namespace, name } = rs;
    const rolledBack = degraded.reason === 'RolledBack';
    events.push({
      type: rolledBack ? 'WafRevisionRolledBack' : 'WafRevisionRejected',
      // The rejected revision is in the message; the label is the one in service (or none).
      labels: { namespace, name, revision: String(rs.revision ?? '') },
      annotations: {
        summary: rolledBack
          ? `Gateways rejected a revision of WAF rule set ${namespace}/${name}; revision ${rs.revision ?? '?'} is served again`
          : `Gateways rejected WAF rule set ${namespace}/${name} and keep their last good rules`,
        description: degraded.message,
      },
    });
  }
  return events;
}
