/**
 * Regex validation with the gateway's engine (rregex), fast enough for large rule sets.
 * Compiling one Rust regex costs milliseconds (Unicode classes and case folding are built into
 * byte automata), but a RegexSet shares that work between its patterns, and a set compiles
 * only if every pattern in it does on its own (each is smaller than the set, under the same
 * limits). So patterns are checked a set at a time, halving a set that fails until the culprits
 * are alone and get rregex's own message; patterns found valid are remembered.
 */
import { RRegexSet } from 'rregex';
import { regexProblem } from '../../api/v1alpha1/checks/regex.js';

/**
 * Patterns per set. Bigger sets share more work (measured on 4,169 rule-base regexes: sets of
 * 52 took 2.6 times as long as sets of 512); beyond that they stop getting cheaper.
 */
const SET_SIZE = 512;
/** Bound on the memory spent remembering valid patterns (UTF-16 code units). */
const MAX_REMEMBERED = 8_000_000;

let remembered = new Set<string>();
let rememberedSize = 0;

function remember(pattern: string): void {
  if (rememberedSize + pattern.length > MAX_REMEMBERED) {
    remembered = new Set();
    rememberedSize = 0;
  }
  remembered.add(pattern);
  rememberedSize += pattern.length;
}

/** Forgets the patterns known to be valid; benchmarks measure cold compilation with it. */
export function forgetValidPatterns(): void {
  remembered = new Set();
  rememberedSize = 0;
}

function check(patterns: readonly string[], problems: Map<string, string>): void {
  if (patterns.length === 0) return;
  const [only] = patterns;
  if (patterns.length === 1 && only !== undefined) {
    const problem = regexProblem(only);
    if (problem === undefined) remember(only);
    else problems.set(only, problem);
    return;
  }
  try {
    new RRegexSet([...patterns]).free();
    for (const pattern of patterns) remember(pattern);
  } catch {
    const half = Math.ceil(patterns.length / 2);
    check(patterns.slice(0, half), problems);
    check(patterns.slice(half), problems);
  }
}

/** rregex's message for each pattern the gateway cannot compile; valid patterns are absent. */
export function regexProblems(patterns: Iterable<string>): Map<string, string> {
  const unknown = [...new Set(patterns)].filter((pattern) => !remembered.has(pattern));
  const problems = new Map<string, string>();
  for (let i = 0; i < unknown.length; i += SET_SIZE) check(unknown.slice(i, i + SET_SIZE), problems);
  return problems;
}
