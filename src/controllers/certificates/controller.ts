/**
 * Certificate controller: watches Certificates and their Secrets; decides with the issuance
 * policies whether a new certificate is needed; runs at most one ACME issuance per Certificate
 * in the background, backing off after failures (a spec change resets the back-off); serves a
 * temporary certificate while none valid exists; pushes the stored certificate to the selected
 * gateways; and reports it all in status, Events and metrics.
 */
import type { Registry } from 'prom-client';
import { AcmeAccounts } from '../../acme/index.js';
import { CertificateResource, statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import { CERTIFICATE_NAME_LABEL, CertificateAnnotations } from '../../api/v1alpha1/labels.js';
import {
  issuanceDecision,
  plannedRenewalTime,
  temporaryNeeded,
  temporaryValidityMs,
  type RetryOptions,
} from '../../domain/acme/index.js';
import {
  describeCertificate,
  generatePrivateKey,
  issueTemporaryCertificate,
  specKeyShape,
  storedSecret,
  type CertificateDescription,
  type StoredSecret,
  rfc3339,
} from '../../domain/certs/index.js';
import { certificateResourceName, contentVersion } from '../../domain/snapshot/snapshot.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import {
  Controller,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { Regarding } from '../../runtime/events/event.js';
import type { EventRecorder } from '../../runtime/events/recorder.js';
import type { Informer } from '../../runtime/informer/informer.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import { findCondition } from '../../runtime/status/conditions.js';
import type { PublisherRef } from '../publisher.js';
import { pushOwner, type PushStatusRouter } from '../push-owners.js';
import { writeStatus } from '../write-status.js';
import { SecretAccountKeyStore } from './account-store.js';
import { issueCertificate, type Secret } from './issuer.js';
import { certificateMetrics, type CertificateMetrics } from './metrics.js';
import { storeCertificate } from './secret-writer.js';
import { certificateStatus } from './status.js';

export interface CertificateControllerOptions {
  readonly client: KubeClient;
  readonly manager: Manager;
  readonly publisher: PublisherRef;
  readonly router: PushStatusRouter;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly workers: number;
  /** Where ACME account keys are kept: the operator's own namespace. */
  readonly namespace: string;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Back-off after failed issuance; 1 h doubling to 32 h by default. */
  readonly retry?: RetryOptions;
}

/** Requeue at most this far ahead: a certificate is looked at again at least daily. */
const MAX_REQUEUE_MS = 24 * 3_600_000;

export function certificateController(options: CertificateControllerOptions): Component {
  const { manager } = options;
  const certificates = manager.informer<Certificate>(CertificateResource);
  const secrets = manager.informer<Secret>(CoreTypes.secret, { labelSelector: CERTIFICATE_NAME_LABEL });
  const reconciler = new CertificateReconciler(options, certificates, secrets);
  const controller = new Controller({
    name: 'certificate',
    workers: options.workers,
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request) => reconciler.reconcile(request),
  })
    .watchPrimary(certificates)
    .watchMapped(secrets, (secret) => {
      const name = secret.metadata.annotations?.[CertificateAnnotations.certificateName];
      return name ? [`${secret.metadata.namespace ?? ''}/${name}`] : [];
    });
  reconciler.enqueue = (key) => controller.enqueue(key);
  options.router.register('Certificate', (key) => controller.enqueue(key));
  return {
    name: controller.name,
    start: () => controller.start(),
    stop: async () => {
      await reconciler.stop();
      await controller.stop();
    },
  };
}

class CertificateReconciler {
  enqueue: (key: string) => void = () => undefined;
  private readonly jobs = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /**
   * The last failure per Certificate, by generation: the cache may not show the failure's own
   * status write yet when the reconcile that follows it runs, and must not start again early.
   */
  private readonly failures = new Map<string, { generation: number | undefined; retryAt: number }>();
  private readonly accounts: AcmeAccounts;
  private readonly snapshots = new WeakMap<Secret, StoredSecret>();
  private readonly clock: Clock;
  private readonly metrics: CertificateMetrics | undefined;

  constructor(
    private readonly options: CertificateControllerOptions,
    private readonly certificates: Informer<Certificate>,
    private readonly secrets: Informer<Secret>,
  ) {
    this.clock = options.clock ?? systemClock;
    this.metrics = options.registry ? certificateMetrics(options.registry) : undefined;
    this.accounts = new AcmeAccounts({
      store: new SecretAccountKeyStore(options.client, options.namespace),
      clock: this.clock,
      logger: options.logger.child({ component: 'acme' }),
    });
  }

  /**
   * The Secret's content, as one object for as long as the cached Secret is unchanged, so the
   * parsing the domain remembers per snapshot happens once per Secret version, not per reconcile.
   */
  private stored(key: string): StoredSecret | undefined {
    const secret = this.secrets.store.get(key);
    if (!secret) return undefined;
    let stored = this.snapshots.get(secret);
    if (!stored) {
      stored = storedSecret(secret);
      this.snapshots.set(secret, stored);
    }
    return stored;
  }

  async stop(): Promise<void> {
    for (const job of this.jobs.values()) job.abort.abort();
    await Promise.allSettled([...this.jobs.values()].map((job) => job.done));
    await this.accounts.close();
  }

  async reconcile({ key, namespace = '', name }: ReconcileRequest): Promise<ReconcileResult | undefined> {
    const publisher = this.options.publisher();
    const owner = pushOwner('Certificate', key);
    const cert = this.certificates.store.get(key);
    if (!cert || cert.metadata.deletionTimestamp) {
      publisher.withdraw(owner);
      this.jobs.get(key)?.abort.abort();
      this.failures.delete(key);
      this.metrics?.forget(namespace, name);
      return undefined;
    }
    const now = new Date(this.clock.now());
    const stored = this.stored(`${namespace}/${cert.spec.secretName}`);
    const description = describe(stored);
    const status = statusOf(cert);
    // Any spec change resets the back-off: the user may just have fixed the cause.
    const specChanged = status?.observedGeneration !== cert.metadata.generation;
    const attempts = specChanged ? 0 : (status?.failedIssuanceAttempts ?? 0);
    const decision = issuanceDecision({
      certificateName: name,
      spec: cert.spec,
      secret: stored,
      status,
      now,
    });

    this.publish(cert, owner, stored, description, now);

    const wakeAt: number[] = [];
    let renewal: Date | undefined;
    if (decision.issue) {
      const remembered = this.failures.get(key);
      const retryAt = Math.max(
        attempts > 0 && status?.nextRetryTime ? Date.parse(status.nextRetryTime) : 0,
        remembered && remembered.generation === cert.metadata.generation ? remembered.retryAt : 0,
      );
      const backingOff = retryAt > now.getTime();
      if (backingOff) wakeAt.push(retryAt);
      else if (!this.jobs.has(key)) this.startIssuance(cert, key, decision.message);
      const issuing = findCondition(status?.conditions, 'Issuing');
      const since = issuing?.status === 'True' ? new Date(issuing.lastTransitionTime) : now;
      const temporary = temporaryNeeded({
        spec: cert.spec,
        secret: stored,
        now,
        issuingSince: since,
        failedIssuanceAttempts: attempts,
      });
      if (temporary.needed) await this.storeTemporary(cert, temporary.message, now);
      else if (temporary.recheckAt) wakeAt.push(temporary.recheckAt.getTime());
    } else if (description) {
      renewal = plannedRenewalTime(cert.spec, description, status);
      wakeAt.push(renewal.getTime());
    }

    const next = certificateStatus(
      cert,
      {
        decision,
        stored: description,
        issuing: this.jobs.has(key),
        push: description ? publisher.status(owner) : undefined,
        renewalTime: renewal,
      },
      now,
    );
    if (specChanged && attempts === 0) Object.assign(next, { failedIssuanceAttempts: 0 });
    const rejected = findCondition(next.conditions, 'Synced');
    const before = findCondition(status?.conditions, 'Synced');
    if (
      rejected?.reason === 'Rejected' &&
      (before?.reason !== 'Rejected' || before.message !== rejected.message)
    ) {
      this.event(cert, 'Warning', 'Rejected', rejected.message);
    }
    this.observe(namespace, name, description, renewal, findCondition(next.conditions, 'Ready')?.status);
    const written = await writeStatus(this.options.client, CertificateResource, cert, next);
    if (written) return written;
    if (wakeAt.length === 0) return undefined;
    const delay = Math.min(...wakeAt) - now.getTime();
    return { requeueAfterMs: Math.min(Math.max(delay, 1000), MAX_REQUEUE_MS) };
  }

  /** What the Secret holds goes to the gateways while it is current, temporary or not. */
  private publish(
    cert: Certificate,
    owner: string,
    stored: StoredSecret | undefined,
    description: CertificateDescription | undefined,
    now: Date,
  ): void {
    const chain = stored?.data['tls.crt'];
    const key = stored?.data['tls.key'];
    const publisher = this.options.publisher();
    if (!chain || !key || !description || description.notAfter <= now) {
      publisher.withdraw(owner);
      return;
    }
    const { namespace = '', name = '' } = cert.metadata;
    publisher.publish(
      owner,
      cert.spec.gatewaySelector,
      [],
      [
        {
          name: certificateResourceName(namespace, name),
          version: contentVersion(chain + key),
          certificateChainPem: chain,
          privateKeyPem: key,
          dnsNames: description.dnsNames,
          notAfterUnix: Math.floor(description.notAfter.getTime() / 1000),
          temporary: description.isTemporary,
        },
      ],
    );
  }

  private startIssuance(cert: Certificate, key: string, why: string): void {
    const abort = new AbortController();
    const started = this.clock.now();
    this.event(cert, 'Normal', 'Issuing', `Requesting a certificate from ${cert.spec.acme.server}: ${why}.`);
    const done = issueCertificate(cert, {
      client: this.options.client,
      accounts: this.accounts,
      publisher: this.options.publisher(),
      clock: this.clock,
      signal: abort.signal,
      retry: this.options.retry,
    })
      .then((outcome) => {
        if (abort.signal.aborted) return;
        const seconds = (this.clock.now() - started) / 1000;
        this.metrics?.issuance.observe({ result: outcome.ok ? 'success' : 'failure', kind: 'acme' }, seconds);
        if (outcome.retryAt) {
          this.failures.set(key, {
            generation: cert.metadata.generation,
            retryAt: outcome.retryAt.getTime(),
          });
        } else {
          this.failures.delete(key);
        }
        this.event(
          cert,
          outcome.ok ? 'Normal' : 'Warning',
          outcome.ok ? 'Issued' : 'Failed',
          outcome.message,
        );
      })
      .catch((error: unknown) => {
        this.options.logger.error('issuance crashed', { certificate: key, error: String(error) });
      })
      .finally(() => {
        this.jobs.delete(key);
        this.enqueue(key);
      });
    this.jobs.set(key, { abort, done });
  }

  private async storeTemporary(cert: Certificate, why: string, now: Date): Promise<void> {
    const keyPem = await generatePrivateKey(specKeyShape(cert.spec.privateKey));
    const temporary = await issueTemporaryCertificate({
      dnsNames: cert.spec.dnsNames,
      keyPem,
      validityMs: temporaryValidityMs(cert.spec),
      now,
    });
    const revision = (statusOf(cert)?.revision ?? 0) + 1;
    await storeCertificate(this.options.client, cert, {
      chainPem: temporary.chainPem,
      keyPem,
      caPem: temporary.caPem,
      revision,
      temporary: true,
    });
    await this.options.client.mergePatch(
      CertificateResource,
      cert.metadata.namespace,
      cert.metadata.name ?? '',
      { status: { revision } },
      'status',
    );
    this.event(
      cert,
      'Warning',
      'TemporaryIssued',
      `Serving a self-signed temporary certificate until ${rfc3339(temporary.notAfter)} while the CA is tried again: ${why}.${temporary.warning ? ` ${temporary.warning}` : ''}`,
    );
  }

  private observe(
    namespace: string,
    name: string,
    description: CertificateDescription | undefined,
    renewal: Date | undefined,
    ready: string | undefined,
  ): void {
    if (!this.metrics) return;
    const labels = { namespace, name };
    if (description) {
      this.metrics.expiration.set(labels, description.notAfter.getTime() / 1000);
      this.metrics.notBefore.set(labels, description.notBefore.getTime() / 1000);
    }
    if (renewal) this.metrics.renewal.set(labels, renewal.getTime() / 1000);
    for (const condition of ['True', 'False', 'Unknown']) {
      this.metrics.ready.set({ ...labels, condition }, condition === (ready ?? 'Unknown') ? 1 : 0);
    }
  }

  private event(cert: Certificate, type: 'Normal' | 'Warning', reason: string, note: string): void {
    this.options.recorder.record(cert as Regarding, type, reason, note);
  }
}

const descriptions = new WeakMap<StoredSecret, CertificateDescription | undefined>();

function describe(stored: StoredSecret | undefined): CertificateDescription | undefined {
  const chain = stored?.data['tls.crt'];
  if (!stored || !chain) return undefined;
  if (descriptions.has(stored)) return descriptions.get(stored);
  let description: CertificateDescription | undefined;
  try {
    description = describeCertificate(chain);
  } catch {
    description = undefined;
  }
  descriptions.set(stored, description);
  return description;
}
