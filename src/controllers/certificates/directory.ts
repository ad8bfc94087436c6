/**
 * WorkerService's view of the managed certificates, read from the informer cache: names,
 * validity and readiness from each Certificate's spec and status. It never sees a private key —
 * those live only in the Secrets.
 */
import type { Certificate } from '../../api/v1alpha1/index.js';
import type { CertificateInfo } from '../../generated/gateway/worker/v1/worker.js';
import type { CertificateDirectory } from '../../grpc/worker-service.js';
import type { Informer } from '../../runtime/informer/informer.js';
import { NAMESPACE_INDEX } from '../../runtime/informer/store.js';

export function certificateInfo(cert: Certificate): CertificateInfo {
  // A Certificate the controller has not reconciled yet has no status at all.
  const status = (cert as Partial<Certificate>).status;
  const conditions = status?.conditions ?? [];
  const isTrue = (type: string): boolean => conditions.some((c) => c.type === type && c.status === 'True');
  const notAfter = status?.notAfter ? Date.parse(status.notAfter) : Number.NaN;
  return {
    namespace: cert.metadata.namespace ?? '',
    name: cert.metadata.name ?? '',
    dnsNames: [...cert.spec.dnsNames],
    notAfterUnix: Number.isNaN(notAfter) ? 0 : Math.floor(notAfter / 1000),
    ready: isTrue('Ready'),
    temporary: isTrue('Temporary'),
    revision: String(status?.revision ?? ''),
  };
}

export function cachedCertificateDirectory(certificates: Informer<Certificate>): CertificateDirectory {
  return {
    list: (namespace) =>
      (namespace ? certificates.store.byIndex(NAMESPACE_INDEX, namespace) : certificates.store.list()).map(
        certificateInfo,
      ),
    get: (namespace, name) => {
      const cert = certificates.store.get(`${namespace}/${name}`);
      return cert ? certificateInfo(cert) : undefined;
    },
  };
}
