/**
 * Temporary certificates: served while the real one is pending, so HTTPS answers (with a browser
 * warning) instead of failing the handshake. Each is signed by its own throwaway CA whose key is
 * discarded at once, and is plainly marked: subject O "gateway-worker temporary certificate" and
 * an issuer CN that says it is not trusted.
 */
import { createCertificateAuthority } from '../../pki/x509.js';
import { TEMPORARY_ISSUER_CN, TEMPORARY_ORGANIZATION } from './describe.js';
import { signLeaf } from './sign.js';

/** The CRD's upper bound for temporaryCertificate.validity: 336h. */
export const MAX_TEMPORARY_VALIDITY_MS = 14 * 24 * 3_600_000;

export interface TemporaryRequest {
  readonly dnsNames: readonly string[];
  /** The key the certificate is for: the pending issuance's key, so the Secret stays consistent. */
  readonly keyPem: string;
  /** Wanted lifetime; more than 14 days is cut to 14 days. */
  readonly validityMs: number;
  readonly now: Date;
}

export interface TemporaryCertificate {
  /** Leaf then throwaway CA, for tls.crt. */
  readonly chainPem: string;
  /** The throwaway CA alone, for ca.crt. */
  readonly caPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Set when the validity asked for was cut to 14 days; say it in an Event. */
  readonly warning?: string;
}

export async function issueTemporaryCertificate(request: TemporaryRequest): Promise<TemporaryCertificate> {
  if (request.dnsNames.length === 0) throw new Error('a temporary certificate needs at least one DNS name');
  if (!Number.isFinite(request.validityMs) || request.validityMs <= 0) {
    throw new Error(`temporary certificate validity must be positive, got ${request.validityMs} ms`);
  }
  let validityMs = request.validityMs;
  let warning: string | undefined;
  if (validityMs > MAX_TEMPORARY_VALIDITY_MS) {
    validityMs = MAX_TEMPORARY_VALIDITY_MS;
    const hours = Math.round(request.validityMs / 3_600_000);
    warning = `temporary certificate validity cut from ${hours}h to the maximum of 336h (14 days)`;
  }
  // X.509 times have whole seconds; rounding down keeps notBefore <= now.
  const notBefore = new Date(Math.floor(request.now.getTime() / 1000) * 1000);
  const notAfter = new Date(notBefore.getTime() + validityMs);
  const ca = await createCertificateAuthority(TEMPORARY_ISSUER_CN, notBefore, notAfter);
  const leafPem = await signLeaf(ca, {
    keyPem: request.keyPem,
    dnsNames: request.dnsNames,
    notBefore,
    notAfter,
    organizations: [TEMPORARY_ORGANIZATION],
  });
  return {
    chainPem: leafPem + ca.certPem,
    caPem: ca.certPem,
    notBefore,
    notAfter,
    ...(warning ? { warning } : {}),
  };
}
