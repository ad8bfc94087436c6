/**
 * Reading a PEM certificate chain (tls.crt: leaf first, then intermediates) into parsed
 * certificates, with messages a user can act on when it does not parse.
 *
 * Node's X509Certificate (OpenSSL, about 0.2 ms a certificate) reads every field the operator
 * needs; @peculiar/x509 (pure JavaScript ASN.1, ten times slower and all of it on the event
 * loop) is parsed only on demand, for whoever needs more.
 */
import { X509Certificate as NodeCertificate, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';
// For its side effect too: it points @peculiar/x509 at Node's WebCrypto.
import '../../pki/x509.js';

/** One certificate of a chain: Node's parse, and @peculiar/x509's on first use. */
export interface ParsedCertificate {
  readonly pem: string;
  readonly node: NodeCertificate;
  readonly x509: x509.X509Certificate;
}

class Parsed implements ParsedCertificate {
  private peculiar: x509.X509Certificate | undefined;

  constructor(
    readonly pem: string,
    readonly node: NodeCertificate,
  ) {}

  get x509(): x509.X509Certificate {
    this.peculiar ??= new x509.X509Certificate(this.pem);
    return this.peculiar;
  }
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
      return new Parsed(block.pem, new NodeCertificate(block.pem));
    } catch (error) {
      throw new ChainError(`${which} does not parse: ${(error as Error).message}`);
    }
  });
}

/** The leaf's SHA-256 fingerprint as lowercase hex without separators. */
export function fingerprintSha256(cert: ParsedCertificate): string {
  return createHash('sha256').update(cert.node.raw).digest('hex');
}

/**
 * Node's text form of a name list ("DNS:a.example, DNS:b.example") or a distinguished name
 * ("CN=x\nO=y"), split at `separator` outside the JSON-quoted values Node writes for entries
 * with special characters.
 */
function splitEntries(text: string | undefined, separator: string): string[] {
  const entries: string[] = [];
  // Node gives undefined, not '', for an empty name (Pebble's leaves have no subject).
  if (text === undefined) return entries;
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (char === '"' && text.charAt(i - 1) !== '\\') quoted = !quoted;
    if (!quoted && text.startsWith(separator, i)) {
      entries.push(current);
      current = '';
      i += separator.length - 1;
      continue;
    }
    current += char;
  }
  if (current) entries.push(current);
  return entries;
}

/** "key:value" or "key=value" with the value unquoted. */
function entryValue(entry: string, at: number): string {
  const value = entry.slice(at + 1);
  if (!value.startsWith('"')) return value;
  try {
    return String(JSON.parse(value));
  } catch {
    return value;
  }
}

/** The DNS names of the subjectAltName extension, in order (other name types are skipped). */
export function subjectAltDnsNames(cert: ParsedCertificate): string[] {
  const san = cert.node.subjectAltName;
  if (!san) return [];
  return splitEntries(san, ', ')
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entryValue(entry, 3));
}

function nameFields(text: string | undefined): [string, string][] {
  return splitEntries(text, '\n').map((entry) => {
    const at = entry.indexOf('=');
    return [entry.slice(0, at), entryValue(entry, at)];
  });
}

/** Values of one subject attribute, e.g. `O` or `CN`. */
export function subjectField(cert: ParsedCertificate, field: string): string[] {
  return nameFields(cert.node.subject)
    .filter(([key]) => key === field)
    .map(([, value]) => value);
}

/** A distinguished name in one line, "CN=x, O=y", for messages and status. */
export function distinguishedName(text: string | undefined): string {
  return nameFields(text)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** notBefore and notAfter. */
export function validity(cert: ParsedCertificate): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(Date.parse(cert.node.validFrom)),
    notAfter: new Date(Date.parse(cert.node.validTo)),
  };
}
