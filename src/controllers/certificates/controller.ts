/**
 * Certificate controller: watches Certificates and their Secrets; each reconcile gathers the
 * facts (gather.ts), makes one pure decision (plan.ts) and carries it out (execute.ts): publish
 * the stored certificate to the selected gateways, write status once, claim and start an ACME
 * attempt in the background (attempts.ts, issuer.ts) or wait out its back-off, and serve a
 * temporary certificate while none valid exists. Issuance progress is in status, so a
 * restarted operator or a new leader carries on where this one stopped.
 */
import type { Registry } from 'prom-client';
import { AcmeAccounts } from '../../acme/index.js';
import { CertificateResource, type Certificate } from '../../api/v1alpha1/index.js';
import { CERTIFICATE_NAME_LABEL, CertificateAnnotations } from '../../api/v1alpha1/labels.js';
import type { RetryOptions } from '../../domain/acme/index.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import type { Component } from '../../runtime/component.js';
import {
  Controller,
  type ReconcileContext,
  type ReconcileRequest,
  type ReconcileResult,
} from '../../runtime/controller/controller.js';
import type { Manager } from '../../runtime/controller/manager.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import type { PublisherRef } from '../publisher.js';
import { pushOwner, type PushStatusRouter } from '../push-owners.js';
import { SecretAccountKeyStore } from './account-store.js';
import { IssuanceAttempts, type EventSink } from './attempts.js';
import { executePlan } from './execute.js';
import { IssuanceSlots } from './issuance-slots.js';
import { gatherCertificate, type CacheReader } from './gather.js';
import type { Secret } from './issuer.js';
import { certificateMetrics, type CertificateMetrics } from './metrics.js';
import { planCertificate } from './plan.js';

/** What the controller needs of the API server: reads, server-side apply, merge patches, deletes. */
export type CertificateClient = Pick<KubeClient, 'get' | 'apply' | 'mergePatch' | 'delete'>;

export interface CertificateControllerOptions {
  readonly client: CertificateClient;
  readonly manager: Manager;
  readonly publisher: PublisherRef;
  readonly router: PushStatusRouter;
  readonly recorder: EventSink;
  readonly logger: Logger;
  readonly workers: number;
  /** Where ACME account keys are kept: the operator's own namespace. */
  readonly namespace: string;
  readonly registry?: Registry;
  readonly clock?: Clock;
  /** Back-off after failed issuance: transient 30 s → 4 min, definitive 1 h → 32 h by default. */
  readonly retry?: RetryOptions;
  /** ACME attempts at once (CERTIFICATE_MAX_CONCURRENT_ISSUANCES); 10 by default. */
  readonly maxConcurrentIssuances?: number;
}

export const DEFAULT_MAX_CONCURRENT_ISSUANCES = 10;

export function certificateController(
  options: CertificateControllerOptions,
): Component & Pick<Controller, 'initialPass'> {
  const { manager } = options;
  const certificates = manager.informer<Certificate>(CertificateResource);
  const secrets = manager.informer<Secret>(CoreTypes.secret, { labelSelector: CERTIFICATE_NAME_LABEL });
  let enqueue: (key: string) => void = () => undefined;
  const reconciler = new CertificateReconciler(options, certificates, secrets, (key) => enqueue(key));
  const controller = new Controller({
    name: 'certificate',
    workers: options.workers,
    logger: options.logger,
    registry: options.registry,
    clock: options.clock,
    reconcile: (request, context) => reconciler.reconcile(request, context),
  })
    .watchPrimary(certificates)
    .watchMapped(secrets, (secret) => {
      const name = secret.metadata.annotations?.[CertificateAnnotations.certificateName];
      return name ? [`${secret.metadata.namespace ?? ''}/${name}`] : [];
    });
  enqueue = (key) => controller.enqueue(key);
  options.router.register('Certificate', (key) => controller.enqueue(key));
  return {
    name: controller.name,
    // The pusher holds certificates and ACME tokens until every existing Certificate is reconciled.
    initialPass: controller.initialPass,
    start: () => controller.start(),
    stop: async () => {
      await reconciler.stop();
      await controller.stop();
    },
  };
}

export class CertificateReconciler {
  readonly attempts: IssuanceAttempts;
  private readonly accounts: AcmeAccounts;
  private readonly clock: Clock;
  private readonly metrics: CertificateMetrics | undefined;
  /** What was published last per Certificate: the pusher (in memory too) reports on that version. */
  private readonly published = new Map<string, string>();

  constructor(
    private readonly options: Omit<CertificateControllerOptions, 'manager' | 'router' | 'workers'>,
    private readonly certificates: CacheReader<Certificate>,
    private readonly secrets: CacheReader<Secret>,
    enqueue: (key: string) => void,
  ) {
    this.clock = options.clock ?? systemClock;
    this.metrics = options.registry ? certificateMetrics(options.registry) : undefined;
    this.accounts = new AcmeAccounts({
      store: new SecretAccountKeyStore(options.client, options.namespace),
      clock: this.clock,
      logger: options.logger.child({ component: 'acme' }),
    });
    this.attempts = new IssuanceAttempts({
      client: options.client,
      accounts: this.accounts,
      publisher: options.publisher,
      clock: this.clock,
      recorder: options.recorder,
      metrics: this.metrics,
      retry: options.retry,
      slots: new IssuanceSlots(options.maxConcurrentIssuances ?? DEFAULT_MAX_CONCURRENT_ISSUANCES),
      onEnded: enqueue,
    });
  }

  async stop(): Promise<void> {
    await this.attempts.stop();
    await this.accounts.close();
  }

  async reconcile(
    { key, namespace = '', name }: ReconcileRequest,
    context: ReconcileContext,
  ): Promise<ReconcileResult | undefined> {
    const owner = pushOwner('Certificate', key);
    const publisher = this.options.publisher();
    const now = new Date(this.clock.now());
    const facts = await gatherCertificate({
      key,
      now,
      certificates: this.certificates,
      secrets: this.secrets,
      client: this.options.client,
      attempt: this.attempts.running(key),
      publisher,
      owner,
      publishedVersion: this.published.get(key),
      signal: context.signal,
    });
    const plan = planCertificate(facts);
    switch (plan.kind) {
      case 'gone':
        publisher.withdraw(owner);
        this.published.delete(key);
        this.attempts.abort(key, 'the Certificate was deleted');
        this.metrics?.forget(namespace, name);
        return undefined;
      case 'wait':
        context.logger.debug('waiting', { why: plan.why });
        return { requeueAfterMs: plan.requeueAfterMs };
      case 'act':
        if (!facts.cert) return undefined;
        return executePlan(
          facts.cert,
          plan,
          {
            client: this.options.client,
            publisher,
            attempts: this.attempts,
            recorder: this.options.recorder,
            metrics: this.metrics,
            published: this.published,
          },
          { key, owner, now, logger: context.logger, signal: context.signal },
        );
    }
  }
}
