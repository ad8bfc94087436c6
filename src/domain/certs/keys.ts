/**
 * Certificate private keys: generated as PKCS#8 PEM (what tls.key holds), described, compared
 * with the Certificate's privateKey settings (rotationPolicy Never keeps a key only while they
 * match), and imported into WebCrypto for signing CSRs and certificates.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { keySize, type CertificateSpec } from '../../api/v1alpha1/certificate.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

export type KeyAlgorithm = 'ECDSA' | 'RSA';

/** What a key is: ECDSA 256/384 (the curve's bits) or RSA 2048/3072/4096 (the modulus). */
export interface KeyShape {
  readonly algorithm: KeyAlgorithm;
  readonly size: number;
}

const CURVES: Record<number, { node: string; web: string; hash: string }> = {
  256: { node: 'prime256v1', web: 'P-256', hash: 'SHA-256' },
  384: { node: 'secp384r1', web: 'P-384', hash: 'SHA-384' },
};
const RSA_SIZES = [2048, 3072, 4096];

const generate = promisify(generateKeyPair);

/** A new private key as PKCS#8 PEM; throws on a shape the CRD does not allow. */
export async function generatePrivateKey(shape: KeyShape): Promise<string> {
  if (shape.algorithm === 'ECDSA') {
    const curve = CURVES[shape.size];
    if (!curve) throw new Error(`ECDSA keys are 256 or 384 bits, not ${shape.size}`);
    const { privateKey } = await generate('ec', { namedCurve: curve.node });
    return exportPem(privateKey);
  }
  if (!RSA_SIZES.includes(shape.size))
    throw new Error(`RSA keys are 2048, 3072 or 4096 bits, not ${shape.size}`);
  const { privateKey } = await generate('rsa', { modulusLength: shape.size });
  return exportPem(privateKey);
}

function exportPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** The shape a Certificate asks for, with the per-algorithm default size applied. */
export function specKeyShape(privateKey: CertificateSpec['privateKey']): KeyShape {
  return { algorithm: privateKey.algorithm, size: keySize(privateKey) };
}

/** The shape of a PEM private key, or undefined when it is not a key this operator makes. */
export function describePrivateKey(pem: string): KeyShape | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return undefined;
  }
  return describeKey(key);
}

/** The shape of a parsed key (parsing a PEM key costs about a millisecond: do it once). */
export function describeKey(key: KeyObject): KeyShape | undefined {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength !== undefined) {
    return { algorithm: 'RSA', size: details.modulusLength };
  }
  if (key.asymmetricKeyType === 'ec') {
    const size = Object.entries(CURVES).find(([, curve]) => curve.node === details?.namedCurve)?.[0];
    return size === undefined ? undefined : { algorithm: 'ECDSA', size: Number(size) };
  }
  return undefined;
}

/**
 * Whether a stored key can be kept under rotationPolicy Never: it parses and has the algorithm
 * and size the spec asks for (a changed setting always means a new key).
 */
export function keyMatchesSpec(pem: string, privateKey: CertificateSpec['privateKey']): boolean {
  const shape = describePrivateKey(pem);
  const wanted = specKeyShape(privateKey);
  return shape?.algorithm === wanted.algorithm && shape.size === wanted.size;
}

/**
 * The key to use for the next issuance: the stored one when rotationPolicy is Never and it still
 * matches the spec, otherwise undefined (generate a new one).
 */
export function reusableKey(
  privateKey: CertificateSpec['privateKey'],
  storedKeyPem: string | undefined,
): string | undefined {
  if (privateKey.rotationPolicy !== 'Never' || storedKeyPem === undefined) return undefined;
  return keyMatchesSpec(storedKeyPem, privateKey) ? storedKeyPem : undefined;
}

/** "ECDSA P-256", "RSA 2048": how keys are named in messages. */
export function keyShapeText(shape: KeyShape): string {
  return shape.algorithm === 'ECDSA' ? `ECDSA P-${shape.size}` : `RSA ${shape.size}`;
}

/** WebCrypto parameters for a key shape: how to import it and how it signs. */
function webAlgorithms(shape: KeyShape): {
  importParams: webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams;
  signing: webcrypto.EcdsaParams | webcrypto.Algorithm;
} {
  if (shape.algorithm === 'ECDSA') {
    const curve = CURVES[shape.size];
    if (!curve) throw new Error(`unsupported ECDSA key size ${shape.size}`);
    return {
      importParams: { name: 'ECDSA', namedCurve: curve.web },
      signing: { name: 'ECDSA', hash: curve.hash },
    };
  }
  const params = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  return { importParams: params, signing: params };
}

/**
 * A PEM private key as a WebCrypto key pair (the public half derived from it) plus the
 * signature algorithm it signs with, for @peculiar/x509's generators.
 */
export async function importKeyPair(
  pem: string,
): Promise<{ keys: CryptoKeyPair; signingAlgorithm: webcrypto.EcdsaParams | webcrypto.Algorithm }> {
  const shape = describePrivateKey(pem);
  if (!shape) throw new Error('the private key is not an ECDSA P-256/P-384 or RSA key');
  const { importParams, signing } = webAlgorithms(shape);
  const privateObject = createPrivateKey(pem);
  const pkcs8 = privateObject.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(privateObject).export({ type: 'spki', format: 'der' });
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey('pkcs8', pkcs8, importParams, true, ['sign']),
    webcrypto.subtle.importKey('spki', spki, importParams, true, ['verify']),
  ]);
  return { keys: { privateKey, publicKey }, signingAlgorithm: signing };
}

/** The SubjectPublicKeyInfo (DER) of a private key, for comparing with a certificate's. */
export function publicKeyDer(privateKeyPem: string): Buffer {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'der' });
}
