/**
 * The certificate signing request sent to the ACME server when finalizing an order: PEM
 * ("CERTIFICATE REQUEST"), which acme-client's `finalizeOrder(order, csr)` takes as a string.
 */
import * as x509 from '@peculiar/x509';
import { importKeyPair } from './keys.js';
// For its side effect too: it points @peculiar/x509 at Node's WebCrypto.
import '../../pki/x509.js';

/** X.520 caps a common name at 64 characters; a longer first name is left to the SAN alone. */
const COMMON_NAME_MAX = 64;

/**
 * A CSR for `dnsNames`, signed with the PEM private key: every name in subjectAltName (what ACME
 * servers read) and the first one as common name when it fits.
 */
export async function createCsr(keyPem: string, dnsNames: readonly string[]): Promise<string> {
  if (dnsNames.length === 0) throw new Error('a CSR needs at least one DNS name');
  const { keys, signingAlgorithm } = await importKeyPair(keyPem);
  const first = dnsNames[0] ?? '';
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: first.length <= COMMON_NAME_MAX ? `CN=${first}` : undefined,
    keys,
    signingAlgorithm,
    extensions: [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns', value })))],
  });
  return csr.toString('pem').trimEnd() + '\n';
}
