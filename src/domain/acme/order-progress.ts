/**
 * The crash-safe order protocol, as a tiny state machine over status.order. RFC 8555 has no
 * idempotency key for newOrder, so the only safe place to remember an order is our own status,
 * written around the call:
 *
 *   (no order, or last one valid/invalid) --issuance needed--> RecordIntent
 *       write status.order = {} (ORDER_INTENT_PATCH), then:
 *   order {} (intent, no url) --> CreateOrder
 *       call newOrder, and at once write status.order = {url, state} (orderRecordedPatch)
 *   order {url, state pending|ready|processing} --> ResumeOrder
 *       fetch the order by url and carry on: authorizations, finalize, download; write the new
 *       state after each step (valid only once the certificate is stored)
 *
 * A restarted operator therefore resumes the order whose URL it recorded, and there is never a
 * second order in flight for one Certificate. The one window left is a crash between newOrder's
 * answer and the status write: the CA then holds an order nobody will finalize, which expires on
 * its own; the next attempt starts one order, not two at once. When issuance is no longer needed
 * (the Secret turned out up to date, the spec went back) an unfinished order is dropped
 * (AbandonOrder: write ORDER_CLEARED_PATCH) and left to expire at the CA.
 */
import type { CertificateStatus } from '../../api/v1alpha1/certificate.js';

export type StatusOrder = NonNullable<CertificateStatus['order']>;
export type OrderState = NonNullable<StatusOrder['state']>;

export type OrderStep =
  | { readonly step: 'Idle' }
  | { readonly step: 'RecordIntent' }
  | { readonly step: 'CreateOrder' }
  | { readonly step: 'ResumeOrder'; readonly url: string }
  | { readonly step: 'AbandonOrder' };

const FINISHED: readonly OrderState[] = ['valid', 'invalid'];

/** Whether status.order describes an order that is still being worked on (or about to be created). */
export function orderInFlight(order: StatusOrder | undefined): boolean {
  return order !== undefined && !(order.state !== undefined && FINISHED.includes(order.state));
}

/** The next step for a Certificate, given its status.order and whether issuanceDecision says issue. */
export function orderStep(order: StatusOrder | undefined, issuanceNeeded: boolean): OrderStep {
  if (!orderInFlight(order)) return issuanceNeeded ? { step: 'RecordIntent' } : { step: 'Idle' };
  if (!issuanceNeeded) return { step: 'AbandonOrder' };
  return order?.url ? { step: 'ResumeOrder', url: order.url } : { step: 'CreateOrder' };
}

/**
 * Status merge patches (RFC 7386) for each transition. The intent is an empty order: the nulls
 * remove an earlier order's url and state, so a finished order is never mistaken for the new one.
 */
export const ORDER_INTENT_PATCH = { order: { url: null, state: null } } as const;
export const ORDER_CLEARED_PATCH = { order: null } as const;

export function orderRecordedPatch(
  url: string,
  state: OrderState,
): { order: { url: string; state: OrderState } } {
  return { order: { url, state } };
}
