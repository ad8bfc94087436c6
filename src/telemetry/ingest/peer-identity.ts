/**
 * The shipper's identity from a gRPC call: the client certificate the mutual-TLS handshake
 * verified (grpc-js exposes it through getAuthContext), read into names and judged by the pure
 * rules of domain/telemetry/identity.ts.
 */
import { X509Certificate } from 'node:crypto';
import {
  identityFromCertificate,
  type CertificateNames,
  type IdentityResult,
} from '../../domain/telemetry/identity.js';

/**
 * `URI:urn:a, DNS:b` → the URI values. Node quotes a value holding a separator as a JSON string
 * (`URI:"urn:a, b"`), which is decoded rather than split.
 */
export function urisOf(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const uris: string[] = [];
  const pattern = /(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const match of subjectAltName.matchAll(pattern)) {
    const value = match[1] ?? '';
    if (value.startsWith('"')) {
      try {
        uris.push(JSON.parse(value) as string);
      } catch {
        // An unreadable name names nobody.
      }
    } else {
      uris.push(value);
    }
  }
  return uris;
}

export function certificateNames(der: Buffer): CertificateNames {
  const cert = new X509Certificate(der);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  return { commonName: cn, uris: urisOf(cert.subjectAltName) };
}

/**
 * `acceptUnauthenticated`: the server runs without TLS (insecure-development-only), so there is no
 * certificate and every claim is taken as made.
 */
/** What grpc-js's server calls offer (its AuthContext type is not exported). */
export interface CallWithAuthContext {
  getAuthContext(): { readonly sslPeerCertificate?: { readonly raw?: Buffer } } | null;
}

export function callIdentity(call: CallWithAuthContext, acceptUnauthenticated: boolean): IdentityResult {
  if (acceptUnauthenticated) return { ok: true, identity: { kind: 'unauthenticated' } };
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw) return { ok: false, reason: 'no client certificate: shipping logs needs mutual TLS' };
  try {
    return identityFromCertificate(certificateNames(raw));
  } catch (error) {
    return { ok: false, reason: `the client certificate cannot be read: ${(error as Error).message}` };
  }
}
