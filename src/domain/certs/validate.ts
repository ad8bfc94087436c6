/**
 * Checks an issued certificate before anything is stored, in the manner of cert-manager's policy
 * checks: small named checks over plain input, each returning a user-facing message or nothing.
 * A non-empty result means: store nothing, and show the messages in the Certificate's status.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import {
  ChainError,
  distinguishedName,
  parseChain,
  subjectAltDnsNames,
  validity,
  type ParsedCertificate,
} from './chain.js';
import { uncoveredNames } from './dns-names.js';

export interface IssuedCertificate {
  /** tls.crt as received: leaf first, then intermediates. */
  readonly chainPem: string;
  /** The private key the CSR was made with (PKCS#8 PEM). */
  readonly keyPem: string;
  /** The Certificate's spec.dnsNames. */
  readonly dnsNames: readonly string[];
  readonly now: Date;
  /** PEM roots the chain must lead to, when known (the CA's root, caBundle); else the chain is only checked link by link. */
  readonly roots?: readonly string[];
}

export type IssuedCheckName = 'ChainParses' | 'KeyMatches' | 'NamesCovered' | 'Current' | 'ChainVerifies';

export interface IssuedProblem {
  readonly check: IssuedCheckName;
  readonly message: string;
}

interface Parsed {
  readonly chain: readonly [ParsedCertificate, ...ParsedCertificate[]];
  readonly input: IssuedCertificate;
}

type Check = (parsed: Parsed) => string | undefined;

const keyMatches: Check = ({ chain: [leaf], input }) => {
  let key: KeyObject;
  try {
    key = createPrivateKey(input.keyPem);
  } catch {
    return 'the private key does not parse as a PEM private key';
  }
  try {
    if (leaf.node.checkPrivateKey(key)) return undefined;
  } catch {
    // A key of another algorithm than the certificate's throws instead of answering false.
  }
  return "the certificate's public key does not belong to the private key it was requested with";
};

const namesCovered: Check = ({ chain: [leaf], input }) => {
  const presented = subjectAltDnsNames(leaf);
  const missing = uncoveredNames(presented, input.dnsNames);
  if (missing.length === 0) return undefined;
  const has = presented.length > 0 ? presented.join(', ') : 'no DNS names';
  return `the certificate does not cover ${missing.join(', ')} (it has ${has})`;
};

const current: Check = ({ chain: [leaf], input }) => {
  const { notBefore, notAfter } = validity(leaf);
  const now = input.now.getTime();
  if (now < notBefore.getTime()) {
    return `the certificate is not valid before ${notBefore.toISOString()} (now ${input.now.toISOString()})`;
  }
  if (now >= notAfter.getTime()) return `the certificate expired at ${notAfter.toISOString()}`;
  return undefined;
};

function signedBy(child: ParsedCertificate, parent: ParsedCertificate): boolean {
  try {
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

function name(cert: ParsedCertificate, index: number): string {
  return `${index === 0 ? 'the leaf' : `certificate ${index + 1}`} (${distinguishedName(cert.node.subject) || 'no subject'})`;
}

const chainVerifies: Check = ({ chain, input }) => {
  for (let i = 0; i + 1 < chain.length; i += 1) {
    const child = chain[i];
    const parent = chain[i + 1];
    if (!child || !parent) break;
    if (!parent.node.ca)
      return `${name(parent, i + 1)} is not a CA certificate, yet follows ${name(child, i)}`;
    if (!signedBy(child, parent)) return `${name(child, i)} is not signed by ${name(parent, i + 1)}`;
  }
  const top = chain[chain.length - 1] ?? chain[0];
  const topName = name(top, chain.length - 1);
  if (input.roots === undefined || input.roots.length === 0) {
    // Without known roots the chain is checked as far as it goes; a self-issued top must at least be self-signed.
    if (top.node.checkIssued(top.node) && !signedBy(top, top)) return `${topName} has a bad self-signature`;
    return undefined;
  }
  let roots: ParsedCertificate[];
  try {
    roots = input.roots.flatMap((pem) => parseChain(pem, 'the trusted roots'));
  } catch (error) {
    return (error as Error).message;
  }
  if (roots.some((root) => root.node.raw.equals(top.node.raw) || signedBy(top, root))) return undefined;
  return `${topName} does not chain to the issuer's root (${roots.map((r) => distinguishedName(r.node.subject)).join('; ')})`;
};

const CHECKS: readonly (readonly [IssuedCheckName, Check])[] = [
  ['KeyMatches', keyMatches],
  ['NamesCovered', namesCovered],
  ['Current', current],
  ['ChainVerifies', chainVerifies],
];

/**
 * Every problem with an issued certificate; empty when it may be stored. When the chain does
 * not parse, that is the only problem reported (the other checks need it).
 */
export function validateIssued(input: IssuedCertificate): IssuedProblem[] {
  let chain: ParsedCertificate[];
  try {
    chain = parseChain(input.chainPem);
  } catch (error) {
    if (!(error instanceof ChainError)) throw error;
    return [{ check: 'ChainParses', message: error.message }];
  }
  const [leaf, ...rest] = chain;
  if (!leaf) return [{ check: 'ChainParses', message: 'no PEM certificate in tls.crt' }];
  const parsed: Parsed = { chain: [leaf, ...rest], input };
  return CHECKS.flatMap(([check, run]) => {
    const message = run(parsed);
    return message === undefined ? [] : [{ check, message }];
  });
}

/** The problems as one sentence for a condition or lastFailureMessage. */
export function problemsMessage(problems: readonly IssuedProblem[]): string {
  return problems.map((p) => p.message).join('; ');
}
