/**
 * One ACME issuance attempt for a Certificate, run in the background once the reconcile has
 * claimed it in status: the next private key (kept in a Secret first, so a restarted operator
 * finishes the same order with the same key), the account, the solver, the crash-safe order,
 * validation of what the CA returned, and then the certificate Secret.
 *
 * What it writes to the Certificate's status is its own part only: `order` while the order
 * runs, and at the end the outcome — the stored certificate's fields, or the failure with its
 * class and next retry time (issuance-failure.ts). Conditions are the reconcile's; it derives
 * them from these fields on its next pass.
 */
import type { AcmeAccounts, OrderStatus } from '../../acme/index.js';
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import { CertificateResource, statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import {
  ORDER_INTENT_PATCH,
  orderInFlight,
  orderRecordedPatch,
  renewalTime,
  stableJitter,
  type RetryOptions,
} from '../../domain/acme/index.js';
import {
  createCsr,
  describeCertificate,
  problemsMessage,
  rfc3339,
  validateIssued,
} from '../../domain/certs/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import type { Logger } from '../../runtime/logger.js';
import type { Publisher } from '../publisher.js';
import { issuanceFailure, type IssuanceFailure } from './issuance-failure.js';
import { nextKey, nextKeySecretName } from './next-key.js';
import { storeCertificate } from './secret-writer.js';
import { secretValue, solverFor } from './solvers.js';

export type { Secret } from './next-key.js';
export { nextKeySecretName } from './next-key.js';

/** What an attempt needs of the API server. */
export type IssuerClient = Pick<KubeClient, 'get' | 'apply' | 'mergePatch' | 'delete'>;

export interface IssuerDeps {
  readonly client: IssuerClient;
  readonly accounts: AcmeAccounts;
  readonly publisher: Publisher;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly logger: Logger;
  /** Back-off after failures (CERTIFICATE_RETRY_*, CERTIFICATE_TRANSIENT_RETRY_*). */
  readonly retry?: RetryOptions;
}

export type IssueOutcome =
  | { readonly result: 'issued'; readonly message: string }
  | { readonly result: 'failed'; readonly message: string; readonly failure: IssuanceFailure }
  /** Stopped by shutdown or a spec change; nothing recorded, the order stays resumable. */
  | { readonly result: 'interrupted'; readonly message: string };

export async function issueCertificate(cert: Certificate, deps: IssuerDeps): Promise<IssueOutcome> {
  const { client, clock, signal, logger } = deps;
  const { namespace = '', name = '' } = cert.metadata;
  const key = `${namespace}/${name}`;
  const status = statusOf(cert);
  const acme = cert.spec.acme;
  const patchStatus = (patch: object) =>
    client.mergePatch(CertificateResource, namespace, name, { status: patch }, 'status');
  let clear = (): void => undefined;
  try {
    const keyPem = await nextKey(cert, client, signal);
    const account = await deps.accounts.account({
      server: acme.server,
      email: acme.email,
      caBundle: acme.caBundle ? Buffer.from(acme.caBundle, 'base64').toString('utf8') : undefined,
      externalAccountBinding: acme.externalAccountBinding
        ? {
            keyID: acme.externalAccountBinding.keyID,
            hmacKey: await secretValue(client, namespace, acme.externalAccountBinding.keySecretRef, signal),
          }
        : undefined,
    });
    const solver = await solverFor(cert, { client, publisher: deps.publisher, clock, signal });
    clear = solver.clear;
    const issued = await account.issue({
      key,
      dnsNames: cert.spec.dnsNames,
      csr: await createCsr(keyPem, cert.spec.dnsNames),
      solver: solver.solver,
      orderUrl: orderInFlight(status?.order) ? status?.order?.url : undefined,
      profile: acme.profile,
      onIntent: async () => {
        await patchStatus(ORDER_INTENT_PATCH);
      },
      onOrderCreated: async (url) => {
        await patchStatus(orderRecordedPatch(url, 'pending'));
      },
      onOrderState: async (state: OrderStatus) => {
        if (state !== 'valid') await patchStatus({ order: { state } });
      },
      signal,
    });
    const now = new Date(clock.now());
    const problems = validateIssued({
      chainPem: issued.fullChainPem,
      keyPem,
      dnsNames: cert.spec.dnsNames,
      now,
    });
    if (problems.length > 0) {
      throw new Error(
        `the CA returned a certificate that fails validation, nothing was stored: ${problemsMessage(problems)}`,
      );
    }
    const description = describeCertificate(issued.fullChainPem);
    const window = await account.renewalInfo(issued.leafPem).catch((error: unknown) => {
      // Without ARI the renewal time is our own (2/3 of the lifetime); worth knowing, not failing for.
      logger.warn('could not read the CA’s renewal information (ARI); renewing on our own schedule', {
        server: acme.server,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    });
    const renewal = renewalTime({
      notBefore: description.notBefore,
      notAfter: description.notAfter,
      renewBeforeMs: durationMillis(cert.spec.renewBefore),
      jitter: stableJitter(cert.metadata.uid ?? key),
      suggestedWindow: window ? { start: window.start, end: window.end } : undefined,
      now,
    });
    const revision = (status?.revision ?? 0) + 1;
    await storeCertificate(client, cert, {
      chainPem: issued.fullChainPem,
      keyPem,
      revision,
      temporary: false,
      notAfter: description.notAfter,
    });
    await patchStatus({
      order: { url: issued.orderUrl, state: 'valid' },
      revision,
      notBefore: rfc3339(description.notBefore),
      notAfter: rfc3339(description.notAfter),
      renewalTime: rfc3339(renewal),
      serialNumber: description.serialNumber,
      fingerprintSHA256: description.fingerprintSHA256,
      failedIssuanceAttempts: 0,
      transientFailures: 0,
      lastFailureTime: null,
      lastFailureMessage: null,
      nextRetryTime: null,
    });
    await client.delete(CoreTypes.secret, namespace, nextKeySecretName(name)).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    return {
      result: 'issued',
      message: `Issued by ${description.issuer}, valid until ${rfc3339(description.notAfter)} (revision ${revision}${issued.resumed ? ', resumed order' : ''}).`,
    };
  } catch (error) {
    if (signal.aborted) {
      return { result: 'interrupted', message: 'issuance interrupted; the order stays resumable' };
    }
    const failure = issuanceFailure(cert, error, new Date(clock.now()), deps.retry);
    await patchStatus(failure.patch).catch((patchError: unknown) => {
      if (!isNotFound(patchError)) throw patchError;
    });
    const next = failure.nextRetryTime ? `next try at ${rfc3339(failure.nextRetryTime)}` : 'not retried';
    return {
      result: 'failed',
      failure,
      message: `${failure.message} (attempt ${failure.counts.failedIssuanceAttempts}; ${next})`,
    };
  } finally {
    clear();
  }
}
