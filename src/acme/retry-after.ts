/**
 * Retry-After (RFC 9110 §10.2.3) as an instant: either delay-seconds, counted from the injected
 * clock, or an HTTP-date. Anything else is ignored rather than guessed at.
 */
const DELAY_SECONDS = /^\d{1,10}$/;

export function parseRetryAfter(header: string | undefined, now: number): Date | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (DELAY_SECONDS.test(value)) return new Date(now + Number(value) * 1000);
  // An HTTP-date names its day of the week; requiring a letter keeps bare numbers like "1e3" out.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at);
}
