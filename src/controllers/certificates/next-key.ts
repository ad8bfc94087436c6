/**
 * The private key of the pending issuance, kept in a Secret (`<name>-gwcert-next-key`, owned by
 * the Certificate) before the order starts, so an operator that restarts mid-order finishes the
 * same order with the same key. Under rotationPolicy Never the key in the certificate's Secret
 * is carried over while it still matches the spec.
 *
 * Only a NotFound reads as "no key": any other failed read (a time-out, a 5xx, a 403) is thrown,
 * because reading it as "absent" would replace a pinned key with a new one.
 */
import { CertificateResource, type Certificate } from '../../api/v1alpha1/index.js';
import { generatePrivateKey, reusableKey, specKeyShape } from '../../domain/certs/index.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { isNotFound } from '../../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';
import { ownerReference } from '../../runtime/objects/owner-references.js';

export interface Secret extends KubeObject {
  data?: Record<string, string>;
}

export type KeyClient = Pick<KubeClient, 'get' | 'apply'>;

export const decodeEntry = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');

export function nextKeySecretName(certificateName: string): string {
  return `${certificateName.slice(0, 253 - 18)}-gwcert-next-key`;
}

/** A Secret, or undefined when the API server says it does not exist; every other failure is thrown. */
export async function readSecretIfExists(
  client: Pick<KubeClient, 'get'>,
  namespace: string,
  name: string,
  signal?: AbortSignal,
): Promise<Secret | undefined> {
  try {
    return await client.get<Secret>(CoreTypes.secret, namespace, name, { signal });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The key of the pending issuance: reused after a crash, kept under rotationPolicy Never. */
export async function nextKey(cert: Certificate, client: KeyClient, signal?: AbortSignal): Promise<string> {
  const { namespace = '', name = '' } = cert.metadata;
  const pending = await readSecretIfExists(client, namespace, nextKeySecretName(name), signal);
  const pendingPem = decodeEntry(pending?.data?.['tls.key']);
  if (pendingPem && reusableKey({ ...cert.spec.privateKey, rotationPolicy: 'Never' }, pendingPem))
    return pendingPem;
  const stored = await readSecretIfExists(client, namespace, cert.spec.secretName, signal);
  const keyPem =
    reusableKey(cert.spec.privateKey, decodeEntry(stored?.data?.['tls.key'])) ??
    (await generatePrivateKey(specKeyShape(cert.spec.privateKey)));
  await client.apply<Secret>(
    CoreTypes.secret,
    {
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
    },
    { signal },
  );
  return keyPem;
}
