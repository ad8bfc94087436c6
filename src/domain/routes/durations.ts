/**
 * Durations of routes: Go syntax in the spec, bounded per field, and one canonical spelling in the
 * payload ("60s" whether the spec said 1m or 60s), so equal settings hash equally and every
 * duration parser the gateway might use reads it.
 */
import { DURATION_HINT, parseDuration } from '../../api/v1alpha1/checks/duration.js';

const MS = 1_000_000n;
export const SECOND_MS = 1000;
export const HOUR_MS = 3_600_000;

export interface DurationBounds {
  readonly minMs: number;
  readonly maxMs: number;
}

/** `1500ms`, `30s`: whole seconds when exact, else milliseconds. */
export function formatMillis(ms: number): string {
  return ms % SECOND_MS === 0 ? `${ms / SECOND_MS}s` : `${ms}ms`;
}

function formatBound(ms: number): string {
  if (ms >= HOUR_MS && ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  return formatMillis(ms);
}

/** Milliseconds, or the problem: syntax, precision below a millisecond, or outside the bounds. */
export function durationField(
  text: unknown,
  bounds: DurationBounds,
): { readonly ms: number } | { readonly problem: string } {
  const range = `between ${formatBound(bounds.minMs)} and ${formatBound(bounds.maxMs)}`;
  const nanos = typeof text === 'string' ? parseDuration(text) : undefined;
  if (nanos === undefined) return { problem: `${DURATION_HINT}, ${range}` };
  if (nanos % MS !== 0n) return { problem: `must be a whole number of milliseconds, ${range}` };
  const ms = nanos / MS;
  if (ms < BigInt(bounds.minMs) || ms > BigInt(bounds.maxMs)) {
    return { problem: `must be ${range}, got ${String(text)}` };
  }
  return { ms: Number(ms) };
}
