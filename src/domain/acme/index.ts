/**
 * ACME issuance policy, without Kubernetes or network: when to issue, when to renew, how long to
 * back off, when to serve a temporary certificate, and the crash-safe order protocol.
 */
export {
  renewalTime,
  stableJitter,
  MAX_RENEWAL_JITTER_MS,
  RENEWAL_JITTER_SHARE,
  type RenewalInput,
  type SuggestedWindow,
} from './renewal.js';
export {
  retryBackoff,
  transientBackoff,
  nextRetryTime,
  countFailure,
  NO_FAILURES,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  DEFAULT_TRANSIENT_RETRY_INITIAL_MS,
  DEFAULT_TRANSIENT_RETRY_MAX_MS,
  type FailureCounts,
  type RetryInput,
  type RetryOptions,
} from './backoff.js';
export { failureClass, failureClassText, type FailureClass, type FailureFacts } from './failure-class.js';
export {
  issuanceDecision,
  plannedRenewalTime,
  type IssuanceDecision,
  type IssuanceInput,
  type IssuanceReason,
} from './issuance-policies.js';
export {
  temporaryNeeded,
  temporaryValidityMs,
  type TemporaryDecision,
  type TemporaryInput,
  type TemporaryReason,
} from './temporary-policy.js';
export {
  orderStep,
  orderInFlight,
  orderRecordedPatch,
  ORDER_INTENT_PATCH,
  ORDER_CLEARED_PATCH,
  type OrderStep,
  type OrderState,
  type StatusOrder,
} from './order-progress.js';
