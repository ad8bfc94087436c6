/**
 * The challenge solver a Certificate names, with the credentials its Secrets hold: HTTP-01
 * through the selected gateways, or DNS-01 through RFC 2136, Cloudflare, Route 53 or a webhook.
 */
import { dns01Solver, http01Solver, type ChallengeSolver } from '../../acme/index.js';
import { createDnsProvider, type Dns01Secrets } from '../../acme/dns/provider.js';
import { propagationCheck } from '../../acme/dns/propagation.js';
import type { Certificate } from '../../api/v1alpha1/index.js';
import type { Clock } from '../../runtime/clock.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import type { Publisher } from '../publisher.js';
import { GatewayHttp01Publisher } from './http01-gateways.js';
import { decodeEntry, type Secret } from './next-key.js';

export async function secretValue(
  client: Pick<KubeClient, 'get'>,
  namespace: string,
  ref: { name: string; key: string },
  signal?: AbortSignal,
): Promise<string> {
  let secret: Secret;
  try {
    secret = await client.get<Secret>(CoreTypes.secret, namespace, ref.name, { signal });
  } catch (error) {
    if (isNotFound(error))
      throw new Error(`Secret ${namespace}/${ref.name} does not exist`, { cause: error });
    throw error;
  }
  const value = decodeEntry(secret.data?.[ref.key]);
  if (value === undefined) throw new Error(`Secret ${namespace}/${ref.name} has no key "${ref.key}"`);
  return value.trim();
}

export interface SolverDeps {
  readonly client: Pick<KubeClient, 'get'>;
  readonly publisher: Publisher;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
}

/** The solver, and what to clear when the attempt ends (the HTTP-01 tokens on the gateways). */
export async function solverFor(
  cert: Certificate,
  deps: SolverDeps,
): Promise<{ solver: ChallengeSolver; clear: () => void }> {
  if (cert.spec.acme.solver.dns01) return { solver: await dnsSolver(cert, deps), clear: () => undefined };
  const { namespace = '', name = '' } = cert.metadata;
  const http01 = new GatewayHttp01Publisher(
    deps.publisher,
    `acme-challenge:${namespace}/${name}`,
    cert.spec.gatewaySelector,
    deps.clock,
  );
  return { solver: http01Solver(http01), clear: () => http01.clear() };
}

async function dnsSolver(cert: Certificate, deps: SolverDeps): Promise<ChallengeSolver> {
  const { client, clock, signal } = deps;
  const dns01 = cert.spec.acme.solver.dns01;
  if (!dns01) throw new Error('no dns01 solver');
  const namespace = cert.metadata.namespace ?? '';
  const value = (ref: { name: string; key: string }) => secretValue(client, namespace, ref, signal);
  const secrets: Dns01Secrets = {
    ...(dns01.rfc2136?.tsigSecretSecretRef
      ? { tsigSecret: await value(dns01.rfc2136.tsigSecretSecretRef) }
      : {}),
    ...(dns01.cloudflare ? { cloudflareApiToken: await value(dns01.cloudflare.apiTokenSecretRef) } : {}),
    ...(dns01.route53?.secretAccessKeySecretRef
      ? { route53SecretAccessKey: await value(dns01.route53.secretAccessKeySecretRef) }
      : {}),
    ...(dns01.webhook?.authSecretRef ? { webhookToken: await value(dns01.webhook.authSecretRef) } : {}),
  };
  const provider = createDnsProvider(dns01, secrets, { clock });
  // With RFC 2136 the server we update is the primary: the record must be there first.
  const check = dns01.rfc2136
    ? propagationCheck({ nameservers: [dns01.rfc2136.nameserver], clock })
    : propagationCheck({ clock });
  return dns01Solver(provider, { waitForPropagation: check });
}
