/**
 * When to renew a certificate. Without ACME Renewal Information: at notAfter − renewBefore, or at
 * two thirds of the lifetime if that is earlier, moved earlier by a jitter so certificates
 * issued together do not all renew in the same minute (cert-manager has no jitter, #8402).
 * With ARI (RFC 9773): a uniformly random time inside the CA's suggested window.
 */
import { createHash } from 'node:crypto';

/** The jitter never moves renewal more than this much earlier, whatever the lifetime. */
export const MAX_RENEWAL_JITTER_MS = 24 * 3_600_000;
/** ...nor more than this share of the time between the planned renewal and expiry. */
export const RENEWAL_JITTER_SHARE = 0.1;

/** RFC 9773 §4.2: the renewalInfo resource's suggestedWindow. */
export interface SuggestedWindow {
  readonly start: Date;
  readonly end: Date;
}

export interface RenewalInput {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** spec.renewBefore in milliseconds. */
  readonly renewBeforeMs: number;
  /** A number in [0, 1); see {@link stableJitter} for one that gives the same answer every time. */
  readonly jitter: () => number;
  /** The CA's ARI window for this certificate, when it offers one. */
  readonly suggestedWindow?: SuggestedWindow;
  /** Needed with a suggestedWindow: a time chosen in the past means "now". */
  readonly now?: Date;
}

function unit(jitter: () => number): number {
  const value = jitter();
  return Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
}

/**
 * The renewal time. It is never before notBefore. With ARI the time is random inside the window
 * (and at most `now` once the window has begun), as RFC 9773 §4.2 asks; a window that ends
 * before it starts is ignored.
 *
 * The result depends on the jitter: compute it once per stored certificate and keep it in
 * status.renewalTime, or pass {@link stableJitter} of the fingerprint so recomputing agrees.
 */
export function renewalTime(input: RenewalInput): Date {
  const window = input.suggestedWindow;
  if (window && window.end.getTime() > window.start.getTime()) {
    const start = window.start.getTime();
    const chosen = start + unit(input.jitter) * (window.end.getTime() - start);
    const now = input.now?.getTime();
    return new Date(now !== undefined && chosen < now ? now : chosen);
  }
  const notBefore = input.notBefore.getTime();
  const notAfter = input.notAfter.getTime();
  const lifetime = Math.max(0, notAfter - notBefore);
  const twoThirds = notBefore + (lifetime * 2) / 3;
  // A renewBefore as long as the lifetime (720h on a 6-day certificate) would mean "renew at
  // once, forever"; like cert-manager, fall back to two thirds then.
  const planned =
    input.renewBeforeMs > 0 && input.renewBeforeMs < lifetime
      ? Math.min(notAfter - input.renewBeforeMs, twoThirds)
      : twoThirds;
  const spread = Math.min((notAfter - planned) * RENEWAL_JITTER_SHARE, MAX_RENEWAL_JITTER_MS);
  return new Date(Math.max(notBefore, Math.round(planned - unit(input.jitter) * spread)));
}

/**
 * A jitter derived from a seed (use the certificate's fingerprint): evenly spread across
 * certificates, but the same for one certificate on every reconcile and every replica.
 */
export function stableJitter(seed: string): () => number {
  const digest = createHash('sha256').update(seed).digest();
  const value = digest.readUIntBE(0, 6) / 2 ** 48;
  return () => value;
}
