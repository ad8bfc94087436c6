/**
 * One ACME issuance for a Certificate, run in the background by the controller: the next
 * private key (kept in a Secret first, so a restarted operator finishes the same order with the
 * same key), the account, the solver, the crash-safe order, validation of what the CA returned,
 * and then the certificate Secret and status. A failure stores nothing and records why and when
 * to try again.
 */
import {
  AcmeError,
  dns01Solver,
  http01Solver,
  type AcmeAccounts,
  type ChallengeSolver,
  type OrderStatus,
} from '../../acme/index.js';
import { createDnsProvider, type Dns01Secrets } from '../../acme/dns/provider.js';
import { propagationCheck } from '../../acme/dns/propagation.js';
import { durationMillis } from '../../api/v1alpha1/checks/duration.js';
import { CertificateResource, statusOf, type Certificate } from '../../api/v1alpha1/index.js';
import {
  createCsr,
  describeCertificate,
  generatePrivateKey,
  problemsMessage,
  reusableKey,
  specKeyShape,
  validateIssued,
  rfc3339,
} from '../../domain/certs/index.js';
import {
  ORDER_CLEARED_PATCH,
  ORDER_INTENT_PATCH,
  nextRetryTime,
  orderInFlight,
  orderRecordedPatch,
  renewalTime,
  stableJitter,
  type RetryOptions,
} from '../../domain/acme/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';
import { ownerReference } from '../../runtime/objects/owner-references.js';
import type { Publisher } from '../publisher.js';
import { GatewayHttp01Publisher } from './http01-gateways.js';
import { storeCertificate } from './secret-writer.js';

export interface Secret extends KubeObject {
  data?: Record<string, string>;
}

export interface IssuerDeps {
  readonly client: KubeClient;
  readonly accounts: AcmeAccounts;
  readonly publisher: Publisher;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Back-off after failures (CERTIFICATE_RETRY_*); 1 h doubling to 32 h by default. */
  readonly retry?: RetryOptions;
}

export interface IssueOutcome {
  readonly ok: boolean;
  readonly message: string;
  /** After a failure: not before this time again. */
  readonly retryAt?: Date;
}

const decode = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

export function nextKeySecretName(certificateName: string): string {
  return `${certificateName.slice(0, 253 - 18)}-gwcert-next-key`;
}

export async function issueCertificate(cert: Certificate, deps: IssuerDeps): Promise<IssueOutcome> {
  const { client, clock } = deps;
  const { namespace = '', name = '' } = cert.metadata;
  const key = `${namespace}/${name}`;
  const status = statusOf(cert);
  const acme = cert.spec.acme;
  let http01: GatewayHttp01Publisher | undefined;
  try {
    const keyPem = await nextKey(cert, client);
    const account = await deps.accounts.account({
      server: acme.server,
      email: acme.email,
      caBundle: acme.caBundle ? Buffer.from(acme.caBundle, 'base64').toString('utf8') : undefined,
      externalAccountBinding: acme.externalAccountBinding
        ? {
            keyID: acme.externalAccountBinding.keyID,
            hmacKey: await secretValue(client, namespace, acme.externalAccountBinding.keySecretRef),
          }
        : undefined,
    });
    let solver: ChallengeSolver;
    if (acme.solver.dns01) {
      solver = await dnsSolver(cert, client, clock);
    } else {
      http01 = new GatewayHttp01Publisher(
        deps.publisher,
        `acme-challenge:${key}`,
        cert.spec.gatewaySelector,
        clock,
      );
      solver = http01Solver(http01);
    }
    const patchStatus = (patch: object) =>
      client.mergePatch(CertificateResource, namespace, name, { status: patch }, 'status');
    const issued = await account.issue({
      key,
      dnsNames: cert.spec.dnsNames,
      csr: await createCsr(keyPem, cert.spec.dnsNames),
      solver,
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
      signal: deps.signal,
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
    const window = await account.renewalInfo(issued.leafPem).catch(() => undefined);
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
      lastFailureTime: null,
      lastFailureMessage: null,
      nextRetryTime: null,
    });
    await client.delete(CoreTypes.secret, namespace, nextKeySecretName(name)).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    return {
      ok: true,
      message: `Issued by ${description.issuer}, valid until ${rfc3339(description.notAfter)} (revision ${revision}${issued.resumed ? ', resumed order' : ''}).`,
    };
  } catch (error) {
    if (deps.signal.aborted)
      return { ok: false, message: 'issuance interrupted by shutdown; the order stays resumable' };
    return await recordFailure(cert, client, clock, error, deps.retry);
  } finally {
    http01?.clear();
  }
}

async function recordFailure(
  cert: Certificate,
  client: KubeClient,
  clock: Clock,
  error: unknown,
  retryOptions: RetryOptions = {},
): Promise<IssueOutcome> {
  const { namespace = '', name = '' } = cert.metadata;
  const status = statusOf(cert);
  const now = new Date(clock.now());
  const attempts = (status?.failedIssuanceAttempts ?? 0) + 1;
  const acmeError = error instanceof AcmeError ? error : undefined;
  // The ACME problem type leads, so the condition names the cause ("rateLimited: ...").
  const message = acmeError
    ? `${acmeError.code}: ${acmeError.detail}`
    : error instanceof Error
      ? error.message
      : String(error);
  // Whole seconds, rounded up, as status stores it: never before a CA's Retry-After.
  const next = nextRetryTime(now, attempts, retryOptions, acmeError?.retryAfter);
  const retry = new Date(Math.ceil(next.getTime() / 1000) * 1000);
  // An order that failed for good is not resumed: the next attempt starts a new one.
  const orderDone = acmeError !== undefined && /invalid|orderNotReady|malformed/i.test(acmeError.type);
  await client
    .mergePatch(
      CertificateResource,
      namespace,
      name,
      {
        status: {
          ...(orderDone ? ORDER_CLEARED_PATCH : {}),
          // The generation that failed: a later spec change resets the back-off, this one does not.
          observedGeneration: cert.metadata.generation,
          failedIssuanceAttempts: attempts,
          lastFailureTime: rfc3339(now),
          lastFailureMessage: message.slice(0, 32_000),
          nextRetryTime: rfc3339(retry),
        },
      },
      'status',
    )
    .catch((patchError: unknown) => {
      if (!isNotFound(patchError)) throw patchError;
    });
  return {
    ok: false,
    message: `${message} (attempt ${attempts}; next try at ${rfc3339(retry)})`,
    retryAt: retry,
  };
}

/** The key of the pending issuance: reused after a crash, kept under rotationPolicy Never. */
async function nextKey(cert: Certificate, client: KubeClient): Promise<string> {
  const { namespace = '', name = '' } = cert.metadata;
  const pending = await client
    .get<Secret>(CoreTypes.secret, namespace, nextKeySecretName(name))
    .catch((error: unknown) => {
      if (isNotFound(error)) return undefined;
      throw error;
    });
  const pendingPem = decode(pending?.data?.['tls.key']);
  if (pendingPem && reusableKey({ ...cert.spec.privateKey, rotationPolicy: 'Never' }, pendingPem))
    return pendingPem;
  const stored = await client
    .get<Secret>(CoreTypes.secret, namespace, cert.spec.secretName)
    .catch(() => undefined);
  const keyPem =
    reusableKey(cert.spec.privateKey, decode(stored?.data?.['tls.key'])) ??
    (await generatePrivateKey(specKeyShape(cert.spec.privateKey)));
  await client.apply<Secret>(CoreTypes.secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: nextKeySecretName(name),
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'gateway-worker' },
      ownerReferences: [ownerReference(cert, CertificateResource, { controller: true })],
    },
    type: 'Opaque',
    data: { 'tls.key': Buffer.from(keyPem, 'utf8').toString('base64') },
  });
  return keyPem;
}

async function secretValue(
  client: KubeClient,
  namespace: string,
  ref: { name: string; key: string },
): Promise<string> {
  let secret: Secret;
  try {
    secret = await client.get<Secret>(CoreTypes.secret, namespace, ref.name);
  } catch (error) {
    if (isNotFound(error))
      throw new Error(`Secret ${namespace}/${ref.name} does not exist`, { cause: error });
    throw error;
  }
  const value = decode(secret.data?.[ref.key]);
  if (value === undefined) throw new Error(`Secret ${namespace}/${ref.name} has no key "${ref.key}"`);
  return value.trim();
}

async function dnsSolver(cert: Certificate, client: KubeClient, clock: Clock): Promise<ChallengeSolver> {
  const dns01 = cert.spec.acme.solver.dns01;
  if (!dns01) throw new Error('no dns01 solver');
  const namespace = cert.metadata.namespace ?? '';
  const secrets: Dns01Secrets = {
    ...(dns01.rfc2136?.tsigSecretSecretRef
      ? { tsigSecret: await secretValue(client, namespace, dns01.rfc2136.tsigSecretSecretRef) }
      : {}),
    ...(dns01.cloudflare
      ? { cloudflareApiToken: await secretValue(client, namespace, dns01.cloudflare.apiTokenSecretRef) }
      : {}),
    ...(dns01.route53?.secretAccessKeySecretRef
      ? {
          route53SecretAccessKey: await secretValue(
            client,
            namespace,
            dns01.route53.secretAccessKeySecretRef,
          ),
        }
      : {}),
    ...(dns01.webhook?.authSecretRef
      ? { webhookToken: await secretValue(client, namespace, dns01.webhook.authSecretRef) }
      : {}),
  };
  const provider = createDnsProvider(dns01, secrets, { clock });
  // With RFC 2136 the server we update is the primary: the record must be there first.
  const check = dns01.rfc2136
    ? propagationCheck({ nameservers: [dns01.rfc2136.nameserver], clock })
    : propagationCheck({ clock });
  return dns01Solver(provider, { waitForPropagation: check });
}
