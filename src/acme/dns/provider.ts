/**
 * The DNS-01 provider interface, and the one place that turns a Certificate's `dns01` solver
 * (with its Secret references already resolved by the controller) into a provider.
 */
import type { CertificateSpec } from '../../api/v1alpha1/certificate.js';
import { systemClock, type Clock } from '../../runtime/clock.js';
import { ambientCredentials, staticCredentials } from './aws-credentials.js';
import { CloudflareProvider } from './cloudflare.js';
import { Rfc2136Provider } from './rfc2136.js';
import { Route53Provider } from './route53.js';
import { WebhookProvider } from './webhook.js';

/**
 * Publishes and removes the TXT record of a DNS-01 challenge. `fqdn` is the record name
 * ("_acme-challenge.example.com", with or without the final dot), `value` the key authorization
 * digest. Both calls are idempotent, and a record set may hold several values at once (a
 * certificate for example.com and *.example.com needs two at the same name): cleanup removes
 * only `value`.
 */
export interface DnsProvider {
  present(fqdn: string, value: string): Promise<void>;
  cleanup(fqdn: string, value: string): Promise<void>;
}

export type Dns01Solver = NonNullable<CertificateSpec['acme']['solver']['dns01']>;

/** The values of the solver's Secret references, read by the controller. */
export interface Dns01Secrets {
  /** rfc2136.tsigSecretSecretRef: the base64 TSIG secret. */
  readonly tsigSecret?: string;
  /** cloudflare.apiTokenSecretRef. */
  readonly cloudflareApiToken?: string;
  /** route53.secretAccessKeySecretRef. */
  readonly route53SecretAccessKey?: string;
  /** webhook.authSecretRef: sent as a Bearer token. */
  readonly webhookToken?: string;
}

export interface DnsProviderDependencies {
  readonly clock?: Clock;
  /** Where ambient AWS credentials come from; the process environment by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** API base URLs, for tests and private endpoints. */
  readonly endpoints?: {
    readonly cloudflare?: string;
    readonly route53?: string;
    readonly sts?: string;
  };
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') throw new Error(`${what} is empty or missing`);
  return value.trim();
}

export function createDnsProvider(
  solver: Dns01Solver,
  secrets: Dns01Secrets,
  deps: DnsProviderDependencies = {},
): DnsProvider {
  const clock = deps.clock ?? systemClock;
  if (solver.rfc2136) {
    const { nameserver, tsigKeyName, tsigAlgorithm } = solver.rfc2136;
    const tsig =
      tsigKeyName === undefined
        ? undefined
        : {
            name: tsigKeyName,
            algorithm: tsigAlgorithm,
            secret: required(secrets.tsigSecret, 'the TSIG secret (rfc2136.tsigSecretSecretRef)'),
          };
    return new Rfc2136Provider({ nameserver, tsig, clock });
  }
  if (solver.cloudflare) {
    return new CloudflareProvider({
      apiToken: required(
        secrets.cloudflareApiToken,
        'the Cloudflare API token (cloudflare.apiTokenSecretRef)',
      ),
      baseUrl: deps.endpoints?.cloudflare,
    });
  }
  if (solver.route53) {
    const { region, hostedZoneID, accessKeyID } = solver.route53;
    const credentials =
      accessKeyID === undefined
        ? ambientCredentials({ env: deps.env ?? process.env, region, stsBaseUrl: deps.endpoints?.sts, clock })
        : staticCredentials({
            accessKeyId: accessKeyID,
            secretAccessKey: required(
              secrets.route53SecretAccessKey,
              'the AWS secret access key (route53.secretAccessKeySecretRef)',
            ),
          });
    return new Route53Provider({
      region,
      hostedZoneId: hostedZoneID,
      credentials,
      baseUrl: deps.endpoints?.route53,
      clock,
    });
  }
  if (solver.webhook) {
    return new WebhookProvider({ url: solver.webhook.url, token: secrets.webhookToken });
  }
  throw new Error('the dns01 solver names no provider (set one of rfc2136, cloudflare, route53, webhook)');
}
