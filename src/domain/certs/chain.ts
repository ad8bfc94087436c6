/**
 * Reading a PEM certificate chain (tls.crt: leaf first, then intermediates) into parsed
 * certificates, with messages a user can act on when it does not parse.
 */
import { X509Certificate as NodeCertificate, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
// For its side effect too: it points @peculiar/x509 at Node's WebCrypto.
import '../../pki/x509.js';

/** One certificate of a chain, in both parsers: Node's checks signatures, peculiar's reads fields. */
export interface ParsedCertificate {
  readonly pem: string;
  readonly node: NodeCertificate;
  readonly x509: x509.X509Certificate;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

export class ChainError extends Error {}

/** Every PEM block of a text with its label, in order. */
export function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] ?? '', pem: `${m[0]}\n` }));
}

/**
 * Parses a chain; throws a {@link ChainError} saying which certificate is wrong and how.
 * `source` names the text in messages.
 */
export function parseChain(chainPem: string, source = 'tls.crt'): ParsedCertificate[] {
  const blocks = pemBlocks(chainPem);
  if (blocks.length === 0) throw new ChainError(`no PEM certificate in ${source}`);
  return blocks.map((block, index) => {
    const which =
      source !== 'tls.crt'
        ? `certificate ${index + 1} of ${source}`
        : index === 0
          ? 'the leaf certificate'
          : `certificate ${index + 1} of the chain`;
    if (block.label !== 'CERTIFICATE') {
      throw new ChainError(`${which} is a PEM "${block.label}" block, not a CERTIFICATE`);
    }
    try {
      return {
        pem: block.pem,
        node: new NodeCertificate(block.pem),
        x509: new x509.X509Certificate(block.pem),
      };
    } catch (error) {
      throw new ChainError(`${which} does not parse: ${(error as Error).message}`);
    }
  });
}

/** The leaf's SHA-256 fingerprint as lowercase hex without separators. */
export function fingerprintSha256(cert: ParsedCertificate): string {
  return createHash('sha256').update(cert.node.raw).digest('hex');
}

/** The DNS names of the subjectAltName extension, in order (other name types are skipped). */
export function subjectAltDnsNames(cert: ParsedCertificate): string[] {
  const san = cert.x509.getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((name) => name.type === 'dns').map((name) => name.value);
}

/** Values of one subject attribute, e.g. `O` or `CN`. */
export function subjectField(cert: ParsedCertificate, field: string): string[] {
  return cert.x509.subjectName.getField(field);
}
