/**
 * The ACME client layer (I/O, no Kubernetes): accounts, crash-safe orders, challenge solvers,
 * typed errors, renewal information. One AcmeAccounts per operator:
 *
 *   const accounts = new AcmeAccounts({ store: secretBackedStore, clock, onRequest: countRequest });
 *   const account = await accounts.account({ server, email, caBundle, externalAccountBinding });
 *   const issued = await account.issue({
 *     key: `${namespace}/${name}`, dnsNames, csr, solver: http01Solver(gatewayPublisher),
 *     orderUrl: status.order?.url,            // only while an order is in progress
 *     onIntent: () => recordIntentInStatus(),  // awaited before newOrder
 *     onOrderCreated: (url) => recordOrderUrlInStatus(url),
 *   });                                        // issued.fullChainPem → tls.crt
 *
 * Every failure is an {@link AcmeError}: `reason` for the condition, `retryable` and
 * `retryAfter` for the next attempt. `account.renewalInfo(pem)` gives the CA's renewal
 * window (RFC 9773) when it offers one.
 */
export { AcmeAccounts, AcmeAccount, type AcmeAccountsOptions, type AccountOptions } from './accounts.js';
export {
  InMemoryAccountKeyStore,
  accountStoreName,
  type AccountIdentity,
  type AccountKeyStore,
  type StoredAccount,
} from './account-store.js';
export type { ExternalAccountBinding, OrderStatus } from './connection.js';
export { AcmeError, LocalErrorType, ACME_ERROR_PREFIX, toAcmeError, type AcmeSubproblem } from './errors.js';
export type { IssuedCertificate, OrderRequest } from './order.js';
export { DEFAULT_POLL, type PollOptions } from './poll.js';
export { certificateId, type RenewalInfo } from './renewal-info.js';
export { parseRetryAfter } from './retry-after.js';
export {
  dns01RecordName,
  dns01Solver,
  http01Solver,
  type AcmeAuthorization,
  type AcmeChallenge,
  type AcmeIdentifier,
  type ChallengeSolver,
  type ChallengeType,
  type Dns01Provider,
  type Dns01SolverOptions,
  type Http01Publisher,
} from './solver.js';
export type { AcmeRequestEvent, AcmeRequestKind, AcmeRequestObserver } from './transport.js';
