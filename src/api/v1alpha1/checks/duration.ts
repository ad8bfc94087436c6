/**
 * Go `time.ParseDuration`, the format of every duration in our API ("720h", "90m", "1h30m"):
 * the gateway's users know it from Kubernetes and Go tools, and the API server's CEL `duration()`
 * parses exactly this grammar, so a value accepted offline compares the same way on the server.
 * Negative durations are not part of our API and are rejected.
 */

/** The grammar as a regular expression (RE2 and JavaScript alike), used by CEL and offline. */
export const DURATION_PATTERN = '^(0|(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$';
const DURATION = new RegExp(DURATION_PATTERN);
const PART = /([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/g;

const NANOS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
/** Go stores durations as int64 nanoseconds (about 2,562,047 hours). */
const MAX_NANOS = (1n << 63n) - 1n;

export const DURATION_HINT = 'must be a duration such as 720h, 90m or 1h30m';

/** True when the text has the shape of a Go duration (it may still overflow: see {@link parseDuration}). */
export function isDurationSyntax(text: string): boolean {
  return DURATION.test(text);
}

/** Nanoseconds, or undefined when the text is not a non-negative Go duration that fits int64. */
export function parseDuration(text: string): bigint | undefined {
  if (!DURATION.test(text)) return undefined;
  if (text === '0') return 0n;
  let total = 0n;
  for (const [, whole = '', fraction = '', unit = ''] of text.matchAll(PART)) {
    const scale = NANOS[unit] ?? 0n;
    let part = BigInt(whole || '0') * scale;
    // Like Go, the fraction is truncated to whole nanoseconds.
    if (fraction) part += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    total += part;
    if (total > MAX_NANOS) return undefined;
  }
  return total;
}

/** Milliseconds (rounded down) of a duration the schema already accepted; throws on bad input. */
export function durationMillis(text: string): number {
  const nanos = parseDuration(text);
  if (nanos === undefined) throw new RangeError(`invalid duration "${text}"`);
  return Number(nanos / 1_000_000n);
}

/** The offline check: the CEL pattern plus what CEL's `duration()` would fail on at runtime. */
export function durationProblem(text: string): string | undefined {
  if (!DURATION.test(text)) return DURATION_HINT;
  return parseDuration(text) === undefined ? 'duration is out of range (at most 2562047h)' : undefined;
}
