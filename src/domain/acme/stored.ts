/**
 * What the issuance and temporary-certificate policies need to know about the Secret's current
 * content, worked out once: the parsed leaf, its description, and whether tls.key belongs to it.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { ChainError, parseChain, type ParsedCertificate } from '../certs/chain.js';
import { describeLeaf, type CertificateDescription } from '../certs/describe.js';
import { describeKey, type KeyShape } from '../certs/keys.js';
import type { StoredSecret } from '../certs/secret.js';

export type StoredCertificate =
  | { readonly kind: 'absent' }
  | { readonly kind: 'missing-data'; readonly missing: readonly string[] }
  | { readonly kind: 'unparsable'; readonly message: string }
  | {
      readonly kind: 'parsed';
      readonly leaf: ParsedCertificate;
      readonly description: CertificateDescription;
      /** The shape of tls.key; undefined when it does not parse. */
      readonly keyShape: KeyShape | undefined;
      readonly keyMatches: boolean;
    };

function parseKey(keyPem: string): KeyObject | undefined {
  try {
    return createPrivateKey(keyPem);
  } catch {
    return undefined;
  }
}

function keyMatchesLeaf(leaf: ParsedCertificate, key: KeyObject | undefined): boolean {
  if (!key) return false;
  try {
    return leaf.node.checkPrivateKey(key);
  } catch {
    // A key of another algorithm than the certificate's throws instead of answering false.
    return false;
  }
}

/**
 * Parsing a chain and a key costs milliseconds, and the policies look at the same Secret several
 * times per reconcile and on every reconcile until it changes: remembered per Secret snapshot,
 * for as long as the caller keeps that snapshot.
 */
const inspected = new WeakMap<StoredSecret, StoredCertificate>();

export function inspectStored(secret: StoredSecret | undefined): StoredCertificate {
  if (!secret) return { kind: 'absent' };
  let result = inspected.get(secret);
  if (!result) {
    result = inspect(secret);
    inspected.set(secret, result);
  }
  return result;
}

function inspect(secret: StoredSecret): StoredCertificate {
  const chainPem = secret.data['tls.crt'];
  const keyPem = secret.data['tls.key'];
  const missing = [...(chainPem?.trim() ? [] : ['tls.crt']), ...(keyPem?.trim() ? [] : ['tls.key'])];
  if (missing.length > 0 || chainPem === undefined || keyPem === undefined)
    return { kind: 'missing-data', missing };
  let leaf: ParsedCertificate | undefined;
  try {
    [leaf] = parseChain(chainPem);
  } catch (error) {
    if (!(error instanceof ChainError)) throw error;
    return { kind: 'unparsable', message: error.message };
  }
  if (!leaf) return { kind: 'unparsable', message: 'no PEM certificate in tls.crt' };
  const key = parseKey(keyPem);
  return {
    kind: 'parsed',
    leaf,
    description: describeLeaf(leaf),
    keyShape: key ? describeKey(key) : undefined,
    keyMatches: keyMatchesLeaf(leaf, key),
  };
}

/** Whether a parsed certificate is in its validity period at `now`. */
export function isCurrent(description: CertificateDescription, now: Date): boolean {
  const t = now.getTime();
  return description.notBefore.getTime() <= t && t < description.notAfter.getTime();
}
