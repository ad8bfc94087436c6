/**
 * Writes a certificate (issued or temporary) into the Certificate's kubernetes.io/tls Secret,
 * with the annotations that tell operators and backup what it holds. No owner reference:
 * deleting the Certificate leaves the Secret, and the certificate, in place.
 */
import { type Certificate } from '../../api/v1alpha1/index.js';
import { certificateSecretContent } from '../../domain/certs/index.js';
import type { KubeClient } from '../../runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../../runtime/kube/resource.js';

export interface StoredCertificateInput {
  readonly chainPem: string;
  readonly keyPem: string;
  readonly caPem?: string;
  readonly revision: number;
  readonly temporary: boolean;
  /** The leaf's notAfter, when known (saves parsing the chain again). */
  readonly notAfter?: Date;
}

export async function storeCertificate(
  client: Pick<KubeClient, 'apply'>,
  cert: Certificate,
  input: StoredCertificateInput,
): Promise<void> {
  const content = certificateSecretContent({
    certificateName: cert.metadata.name ?? '',
    dnsNames: cert.spec.dnsNames,
    issuer: cert.spec.acme.server,
    chainPem: input.chainPem,
    keyPem: input.keyPem,
    caPem: input.caPem,
    revision: input.revision,
    temporary: input.temporary,
    notAfter: input.notAfter,
  });
  await client.apply<KubeObject>(CoreTypes.secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: cert.spec.secretName,
      namespace: cert.metadata.namespace,
      labels: content.labels,
      annotations: content.annotations,
    },
    type: content.type,
    data: content.data,
  });
}
