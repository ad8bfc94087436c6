/** A gateway's answer to a push, as an audit event: which pod applied or refused which version of what. */
import type { AuditEvent } from '../domain/telemetry/audit-chain.js';
import type { Gateway, OutcomeEvent } from '../push/gateway-connection.js';

export function pushOutcomeEvent(gateway: Gateway, outcome: OutcomeEvent, nowMs: number): AuditEvent {
  const [namespace = '', pod = gateway.name] = gateway.name.includes('/')
    ? gateway.name.split('/', 2)
    : ['', gateway.name];
  const resources = outcome.changed ? [...outcome.changed].sort() : [];
  const what = outcome.type === 'certificate' ? `certificate ${resources.join(', ')}` : outcome.type;
  return {
    timeMs: nowMs,
    action: outcome.accepted ? 'applied' : 'rejected',
    actor: gateway.name,
    kind: 'Gateway',
    namespace,
    name: pod,
    generation: 0,
    summary: outcome.accepted
      ? `${what} version ${outcome.version} applied`
      : `${what} version ${outcome.version} rejected: ${outcome.message ?? 'no reason given'}`,
    details: {
      type: outcome.type,
      version: outcome.version,
      ...(resources.length > 0 ? { resources } : {}),
      ...(outcome.message === undefined ? {} : { message: outcome.message }),
    },
  };
}
