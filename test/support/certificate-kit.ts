/**
 * Builders and probes for the Certificate end-to-end tests: a Certificate in one line
 * (`certificate(ns, 'shop', withDnsNames('shop.example.test'), withServer(pebble))`), its
 * status and conditions, the Secret's chain, what each simulated gateway wrote, and Events.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateResource, statusOf, type Certificate } from '../../src/api/v1alpha1/index.js';
import type { CertificateStatus } from '../../src/api/v1alpha1/certificate.js';
import { describeCertificate, type CertificateDescription } from '../../src/domain/certs/index.js';
import type { EventObject } from '../../src/runtime/events/event.js';
import type { KubeClient } from '../../src/runtime/kube/client.js';
import { isNotFound } from '../../src/runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import type { Condition } from '../../src/runtime/status/conditions.js';
import { findCondition } from '../../src/runtime/status/conditions.js';
import { verifyChain } from './acme-kit.js';
import type { GatewayPods } from './gateway-pods.js';
import { eventually } from './widgets.js';

export type Secret = KubeObject & { type?: string; data?: Record<string, string> };

/** The spec as a test writes it: defaults (privateKey, renewBefore, ...) are the API server's. */
interface SpecInput {
  secretName: string;
  dnsNames: string[];
  acme: {
    server: string;
    email?: string;
    caBundle?: string;
    solver: Record<string, unknown>;
  };
  temporaryCertificate?: { enabled?: boolean; after?: string; validity?: string };
  renewBefore?: string;
}

export type CertificateOption = (spec: SpecInput) => void;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A Certificate `name` for `<name>.example.test` with HTTP-01, secretName `<name>-tls`. */
export function certificate(namespace: string, name: string, ...options: CertificateOption[]): Certificate {
  const spec: SpecInput = {
    secretName: `${name}-tls`,
    dnsNames: [`${name}.example.test`],
    acme: { server: 'https://127.0.0.1:1/dir', solver: { http01: {} } },
  };
  for (const option of options) option(spec);
  return {
    apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
    kind: 'Certificate',
    metadata: { namespace, name },
    spec,
  } as unknown as Certificate;
}

export const withDnsNames =
  (...names: string[]): CertificateOption =>
  (spec) => {
    spec.dnsNames = names;
  };

/** The ACME directory (Pebble's, or a front's) and the CA its HTTPS certificate is signed by. */
export const withServer =
  (directoryUrl: string, caBundlePem?: string): CertificateOption =>
  (spec) => {
    spec.acme.server = directoryUrl;
    if (caBundlePem === undefined) delete spec.acme.caBundle;
    else spec.acme.caBundle = b64(caBundlePem);
  };

export const withEmail =
  (email: string): CertificateOption =>
  (spec) => {
    spec.acme.email = email;
  };

export const withSecretName =
  (secretName: string): CertificateOption =>
  (spec) => {
    spec.secretName = secretName;
  };

export const withTemporaryAfter =
  (after: string): CertificateOption =>
  (spec) => {
    spec.temporaryCertificate = { ...spec.temporaryCertificate, after };
  };

export interface Rfc2136Solver {
  /** host:port of the primary. */
  readonly nameserver: string;
  readonly tsigKeyName: string;
  readonly tsigAlgorithm: string;
  /** Secret (in the Certificate's namespace) and key holding the base64 TSIG secret. */
  readonly secretName: string;
  readonly secretKey: string;
}

export const withRfc2136 =
  (solver: Rfc2136Solver): CertificateOption =>
  (spec) => {
    spec.acme.solver = {
      dns01: {
        rfc2136: {
          nameserver: solver.nameserver,
          tsigKeyName: solver.tsigKeyName,
          tsigAlgorithm: solver.tsigAlgorithm,
          tsigSecretSecretRef: { name: solver.secretName, key: solver.secretKey },
        },
      },
    };
  };

/** An Opaque Secret with one entry, e.g. a TSIG secret the solver refers to. */
export async function createOpaqueSecret(
  client: KubeClient,
  namespace: string,
  name: string,
  entries: Record<string, string>,
): Promise<void> {
  await client.create<Secret>(CoreTypes.secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { namespace, name },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(entries).map(([key, value]) => [key, b64(value)])),
  });
}

/** Reads one Certificate and answers questions about it. */
export class CertificateProbe {
  constructor(
    readonly client: KubeClient,
    readonly namespace: string,
    readonly name: string,
  ) {}

  get(): Promise<Certificate> {
    return this.client.get<Certificate>(CertificateResource, this.namespace, this.name);
  }

  async status(): Promise<CertificateStatus | undefined> {
    return statusOf(await this.get());
  }

  async condition(type: string): Promise<Condition | undefined> {
    return findCondition((await this.status())?.conditions, type);
  }

  /** Waits until `check` holds for the Certificate's status. */
  async waitFor(
    what: string,
    check: (status: CertificateStatus | undefined, cert: Certificate) => boolean,
    timeoutMs = 60_000,
  ): Promise<CertificateStatus> {
    let last: Certificate | undefined;
    try {
      await eventually(
        async () => {
          last = await this.get();
          return check(statusOf(last), last);
        },
        timeoutMs,
        `${this.name}: ${what}`,
      );
    } catch (error) {
      const seen = JSON.stringify(last?.status ?? null, null, 1);
      throw new Error(`${(error as Error).message}; last status: ${seen}`, { cause: error });
    }
    const status = statusOf(last as Certificate);
    if (!status) throw new Error(`${this.name} has no status`);
    return status;
  }

  waitForCondition(type: string, status: 'True' | 'False', timeoutMs = 60_000): Promise<CertificateStatus> {
    return this.waitFor(
      `${type}=${status}`,
      (s) => findCondition(s?.conditions, type)?.status === status,
      timeoutMs,
    );
  }

  /**
   * Waits until a real certificate of at least `minRevision` is stored and the issuance that
   * stored it has finished writing status. (Ready turns True as soon as the reconcile sees the
   * new Secret; the issuance's own status write, with the revision and the order, follows.)
   */
  waitForIssued(minRevision = 1, timeoutMs = 60_000): Promise<CertificateStatus> {
    return this.waitFor(
      `Ready=True with revision ≥ ${minRevision}`,
      (s) =>
        findCondition(s?.conditions, 'Ready')?.status === 'True' &&
        findCondition(s?.conditions, 'Temporary')?.status === 'False' &&
        (s?.revision ?? 0) >= minRevision &&
        s?.order?.state === 'valid' &&
        (s.failedIssuanceAttempts ?? 0) === 0,
      timeoutMs,
    );
  }

  /** The Certificate's Secret, or undefined when it does not exist. */
  async secret(): Promise<Secret | undefined> {
    const cert = await this.get();
    return readSecret(this.client, this.namespace, cert.spec.secretName);
  }

  /** The Events about this Certificate, oldest first. */
  async events(): Promise<EventObject[]> {
    const list = await this.client.list<EventObject>(CoreTypes.event, this.namespace);
    return list.items
      .filter((e) => e.regarding.kind === 'Certificate' && e.regarding.name === this.name)
      .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  }
}

export async function readSecret(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<Secret | undefined> {
  return client.get<Secret>(CoreTypes.secret, namespace, name).catch((error: unknown) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
}

export function secretEntry(secret: Secret | undefined, key: string): string {
  return Buffer.from(secret?.data?.[key] ?? '', 'base64').toString('utf8');
}

/** The PEM blocks of a chain, leaf first. */
export function pemBlocks(chain: string): string[] {
  return chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];
}

/** Verifies tls.crt (leaf + chain) up to `rootPem` and describes the leaf. */
export function verifiedChain(chainPem: string, rootPem: string): CertificateDescription {
  const [leaf, ...rest] = pemBlocks(chainPem);
  verifyChain(leaf ?? '', rest.join(''), rootPem);
  return describeCertificate(chainPem);
}

export interface GatewayFiles {
  readonly gateway: string;
  readonly crt: string | undefined;
  readonly key: string | undefined;
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** What every gateway's agent wrote for Certificate namespace/name: certs/<ns>_<name>.crt|key. */
export function gatewayFiles(gateways: GatewayPods, namespace: string, name: string): GatewayFiles[] {
  return gateways.simulated.gateways.map((g) => ({
    gateway: g.name,
    crt: readOptional(join(g.dir, 'certs', `${namespace}_${name}.crt`)),
    key: readOptional(join(g.dir, 'certs', `${namespace}_${name}.key`)),
  }));
}

/** Waits until every gateway holds exactly `chainPem` for the Certificate. */
export async function waitForGateways(
  gateways: GatewayPods,
  namespace: string,
  name: string,
  chainPem: string,
  timeoutMs = 30_000,
): Promise<void> {
  await eventually(
    () => gatewayFiles(gateways, namespace, name).every((f) => f.crt === chainPem),
    timeoutMs,
    `every gateway to hold the certificate of ${name}`,
  );
}
