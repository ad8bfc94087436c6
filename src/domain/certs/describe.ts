/**
 * What status and metrics say about a stored certificate: validity, serial, fingerprint, names,
 * issuer, and whether it is one of our temporary certificates.
 */
import {
  distinguishedName,
  fingerprintSha256,
  parseChain,
  pemBlocks,
  subjectAltDnsNames,
  subjectField,
  validity,
  type ParsedCertificate,
} from './chain.js';

/** Subject organisation of every temporary certificate: how users and the operator recognise one. */
export const TEMPORARY_ORGANIZATION = 'gateway-worker temporary certificate';
/** Common name of the throwaway CA that signs temporary certificates. */
export const TEMPORARY_ISSUER_CN = 'gateway-worker temporary CA (not trusted)';

export interface CertificateDescription {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Lowercase hex, as status.serialNumber. */
  readonly serialNumber: string;
  /** SHA-256 of the leaf's DER, lowercase hex without separators, as status.fingerprintSHA256. */
  readonly fingerprintSHA256: string;
  /** The leaf's subjectAltName DNS names. */
  readonly dnsNames: string[];
  /** The issuer's distinguished name, e.g. "CN=Pebble Intermediate CA 1a2b3c". */
  readonly issuer: string;
  /** Whether this is a temporary certificate from {@link issueTemporaryCertificate}. */
  readonly isTemporary: boolean;
}

export function isTemporaryCertificate(leaf: ParsedCertificate): boolean {
  return subjectField(leaf, 'O').includes(TEMPORARY_ORGANIZATION);
}

export function describeLeaf(leaf: ParsedCertificate): CertificateDescription {
  const { notBefore, notAfter } = validity(leaf);
  return {
    notBefore,
    notAfter,
    serialNumber: leaf.node.serialNumber.toLowerCase(),
    fingerprintSHA256: fingerprintSha256(leaf),
    dnsNames: subjectAltDnsNames(leaf),
    issuer: distinguishedName(leaf.node.issuer),
    isTemporary: isTemporaryCertificate(leaf),
  };
}

/** Describes the leaf (first certificate) of a PEM chain; throws a ChainError when it does not parse. */
export function describeCertificate(chainPem: string): CertificateDescription {
  // The leaf alone: the rest of the chain says nothing about what is stored.
  const first = pemBlocks(chainPem)[0];
  const [leaf] = parseChain(first ? first.pem : chainPem);
  if (!leaf) throw new Error('unreachable: parseChain returns at least one certificate');
  return describeLeaf(leaf);
}
