/**
 * Compiled regex sets shared between evaluators. rregex (the gateway's `regex` crate in
 * WebAssembly) does not give the memory of a compiled regex back to its heap when it is freed —
 * about 250 KiB per pattern with Unicode classes such as `\d` or `(?i)` — so compiling the same
 * patterns for every test run would grow the process without bound. A set is therefore compiled
 * once per list of patterns and reused while it is in use or among the most recently released.
 */
import { RRegexSet } from 'rregex';

interface Entry {
  readonly set: RRegexSet;
  users: number;
}

/** Released sets kept for reuse; the oldest beyond this are freed. */
const KEEP_RELEASED = 128;

const entries = new Map<string, Entry>();

function keyOf(patterns: readonly string[]): string {
  return JSON.stringify(patterns);
}

/** The set of these patterns, compiled or reused; throws what rregex throws. Release it after use. */
export function acquireRegexSet(patterns: readonly string[]): RRegexSet {
  const key = keyOf(patterns);
  const entry = entries.get(key);
  if (entry) {
    entry.users += 1;
    // Most recently used last: Map keeps insertion order.
    entries.delete(key);
    entries.set(key, entry);
    return entry.set;
  }
  const set = new RRegexSet([...patterns]);
  entries.set(key, { set, users: 1 });
  return set;
}

export function releaseRegexSet(patterns: readonly string[]): void {
  const key = keyOf(patterns);
  const entry = entries.get(key);
  if (!entry) return;
  entry.users = Math.max(0, entry.users - 1);
  let released = [...entries.values()].filter((e) => e.users === 0).length;
  for (const [k, e] of entries) {
    if (released <= KEEP_RELEASED) break;
    if (e.users > 0) continue;
    e.set.free();
    entries.delete(k);
    released -= 1;
  }
}

/** Frees every set not in use; benchmarks measure a cold evaluator build with it. */
export function forgetRegexSets(): void {
  for (const [key, entry] of entries) {
    if (entry.users > 0) continue;
    entry.set.free();
    entries.delete(key);
  }
}
