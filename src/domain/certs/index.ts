/**
 * Certificate domain logic, without Kubernetes or network: keys, CSRs, validation of issued
 * certificates, descriptions for status, temporary certificates and the Secret's content.
 */
export {
  generatePrivateKey,
  keyMatchesSpec,
  reusableKey,
  describePrivateKey,
  specKeyShape,
  keyShapeText,
  type KeyAlgorithm,
  type KeyShape,
} from './keys.js';
export { createCsr } from './csr.js';
export { signLeaf, type LeafRequest } from './sign.js';
export { ChainError, parseChain, pemBlocks } from './chain.js';
export { nameCovers, uncoveredNames, sameNames } from './dns-names.js';
export {
  validateIssued,
  problemsMessage,
  type IssuedCertificate,
  type IssuedCheckName,
  type IssuedProblem,
} from './validate.js';
export {
  describeCertificate,
  TEMPORARY_ORGANIZATION,
  TEMPORARY_ISSUER_CN,
  type CertificateDescription,
} from './describe.js';
export {
  issueTemporaryCertificate,
  MAX_TEMPORARY_VALIDITY_MS,
  type TemporaryRequest,
  type TemporaryCertificate,
} from './temporary.js';
export {
  storedSecret,
  certificateSecretContent,
  annotatedDnsNames,
  annotatedNotAfter,
  rfc3339,
  TLS_SECRET_TYPE,
  type StoredSecret,
  type CertificateSecretInput,
  type CertificateSecretContent,
} from './secret.js';
