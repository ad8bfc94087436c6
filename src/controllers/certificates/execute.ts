/**
 * Carries out a Certificate plan, in an order that keeps every side effect behind a
 * compare-and-swap on the cached object: publish (in memory), write the status once, and only
 * then start the claimed attempt and store a temporary certificate. When the cache was stale
 * the status write answers 409 and nothing else happens: the reconcile runs again on the newer
 * object. A claim whose status is already written (the same second, the same attempt) is
 * checked with a no-op patch carrying the cached resourceVersion, which the API server
 * refuses just the same when the object moved on.
 */
import { CertificateResource, type Certificate } from '../../api/v1alpha1/index.js';
import { temporaryValidityMs } from '../../domain/acme/index.js';
import {
  generatePrivateKey,
  issueTemporaryCertificate,
  rfc3339,
  specKeyShape,
} from '../../domain/certs/index.js';
import { TerminalError, type ReconcileResult } from '../../runtime/controller/controller.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isConflict, isNotFound } from '../../runtime/kube/errors.js';
import type { Logger } from '../../runtime/logger.js';
import { findCondition } from '../../runtime/status/conditions.js';
import { updateStatus } from '../../runtime/status/status-writer.js';
import type { Publisher } from '../publisher.js';
import type { EventSink, IssuanceAttempts } from './attempts.js';
import type { CertificateMetrics } from './metrics.js';
import type { ActPlan } from './plan.js';
import { storeCertificate } from './secret-writer.js';

export type ExecuteClient = Pick<KubeClient, 'mergePatch' | 'apply'>;

export interface ExecuteDeps {
  readonly client: ExecuteClient;
  readonly publisher: Publisher;
  readonly attempts: IssuanceAttempts;
  readonly recorder: EventSink;
  readonly metrics: CertificateMetrics | undefined;
  /** What this controller published last per Certificate, for the next plan's push view. */
  readonly published: Map<string, string>;
}

export interface ExecuteContext {
  readonly key: string;
  readonly owner: string;
  readonly now: Date;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** The cache was behind the API server: look again once the watch has caught up. */
const STALE_CACHE_RETRY_MS = 100;
/** Requeue at most this far ahead: a certificate is looked at again at least daily. */
const MAX_REQUEUE_MS = 24 * 3_600_000;

export async function executePlan(
  cert: Certificate,
  plan: ActPlan,
  deps: ExecuteDeps,
  context: ExecuteContext,
): Promise<ReconcileResult | undefined> {
  const { key, owner, now, logger, signal } = context;
  if (plan.publication) {
    deps.publisher.publish(owner, plan.publication.selector, [], [plan.publication.resource]);
    deps.published.set(key, plan.publication.resource.version);
  } else {
    deps.publisher.withdraw(owner);
    deps.published.delete(key);
  }
  if (plan.abortAttempt) deps.attempts.abort(key, plan.abortAttempt);

  let claimed: Certificate;
  try {
    const { written, object } = await updateStatus(
      deps.client,
      CertificateResource,
      cert,
      plan.status as Record<string, unknown>,
    );
    claimed = object;
    if (plan.startAttempt && !written) {
      claimed = await deps.client.mergePatch<Certificate>(
        CertificateResource,
        cert.metadata.namespace,
        cert.metadata.name ?? '',
        { metadata: { resourceVersion: cert.metadata.resourceVersion } },
        'status',
        { signal },
      );
    }
  } catch (error) {
    if (isNotFound(error)) return undefined;
    if (isConflict(error)) return { requeueAfterMs: STALE_CACHE_RETRY_MS };
    throw error;
  }

  for (const event of plan.events) record(deps, cert, event.type, event.reason, event.note);
  if (plan.startAttempt) deps.attempts.start(key, claimed, now, plan.attemptNumber, logger);
  if (plan.temporary) await storeTemporary(deps, claimed, plan.temporary, now, signal);
  observe(deps.metrics, cert, plan);

  const requeueAfterMs = plan.wakeAt
    ? Math.min(Math.max(plan.wakeAt.getTime() - now.getTime(), 1000), MAX_REQUEUE_MS)
    : undefined;
  if (plan.stalled) throw new TerminalError(plan.stalled, { requeueAfterMs });
  return requeueAfterMs === undefined ? undefined : { requeueAfterMs };
}

async function storeTemporary(
  deps: ExecuteDeps,
  cert: Certificate,
  temporary: NonNullable<ActPlan['temporary']>,
  now: Date,
  signal: AbortSignal,
): Promise<void> {
  const keyPem = await generatePrivateKey(specKeyShape(cert.spec.privateKey));
  const issued = await issueTemporaryCertificate({
    dnsNames: cert.spec.dnsNames,
    keyPem,
    validityMs: temporaryValidityMs(cert.spec),
    now,
  });
  signal.throwIfAborted();
  await storeCertificate(deps.client, cert, {
    chainPem: issued.chainPem,
    keyPem,
    caPem: issued.caPem,
    revision: temporary.revision,
    temporary: true,
    notAfter: issued.notAfter,
  });
  record(
    deps,
    cert,
    'Warning',
    'TemporaryIssued',
    `Serving a self-signed temporary certificate until ${rfc3339(issued.notAfter)} while the CA is tried again: ${temporary.why}.${issued.warning ? ` ${issued.warning}` : ''}`,
  );
}

function record(
  deps: ExecuteDeps,
  cert: Certificate,
  type: 'Normal' | 'Warning',
  reason: string,
  note: string,
): void {
  deps.recorder.record(cert as Regarding, type, reason, note);
}

function observe(metrics: CertificateMetrics | undefined, cert: Certificate, plan: ActPlan): void {
  if (!metrics) return;
  const labels = { namespace: cert.metadata.namespace ?? '', name: cert.metadata.name ?? '' };
  if (plan.description) {
    metrics.expiration.set(labels, plan.description.notAfter.getTime() / 1000);
    metrics.notBefore.set(labels, plan.description.notBefore.getTime() / 1000);
  }
  if (plan.renewal) metrics.renewal.set(labels, plan.renewal.getTime() / 1000);
  const ready = findCondition(plan.status.conditions, 'Ready')?.status ?? 'Unknown';
  for (const condition of ['True', 'False', 'Unknown']) {
    metrics.ready.set({ ...labels, condition }, condition === ready ? 1 : 0);
  }
}
