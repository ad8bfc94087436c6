/**
 * What a Certificate puts on its gateways: the certificate its Secret holds, temporary or not,
 * while it is current; nothing otherwise. Pure, remembered per Secret snapshot (the version is
 * a hash of the chain and key).
 */
import type { Certificate } from '../../api/v1alpha1/index.js';
import type { CertificateDescription, StoredSecret } from '../../domain/certs/index.js';
import type { LabelSelector } from '../../api/meta/label-selector.js';
import {
  certificateResourceName,
  contentVersion,
  type CertificateResource,
} from '../../domain/snapshot/snapshot.js';

export interface CertificatePublication {
  readonly selector: LabelSelector | undefined;
  readonly resource: CertificateResource;
}

const versions = new WeakMap<StoredSecret, string>();

function versionOf(stored: StoredSecret, chain: string, key: string): string {
  let version = versions.get(stored);
  if (version === undefined) {
    version = contentVersion(chain + key);
    versions.set(stored, version);
  }
  return version;
}

export function publicationFor(
  cert: Certificate,
  stored: StoredSecret | undefined,
  description: CertificateDescription | undefined,
  now: Date,
): CertificatePublication | undefined {
  const chain = stored?.data['tls.crt'];
  const key = stored?.data['tls.key'];
  if (!stored || !chain || !key || !description || description.notAfter <= now) return undefined;
  const { namespace = '', name = '' } = cert.metadata;
  return {
    selector: cert.spec.gatewaySelector,
    resource: {
      name: certificateResourceName(namespace, name),
      version: versionOf(stored, chain, key),
      certificateChainPem: chain,
      privateKeyPem: key,
      dnsNames: description.dnsNames,
      notAfterUnix: Math.floor(description.notAfter.getTime() / 1000),
      temporary: description.isTemporary,
    },
  };
}
