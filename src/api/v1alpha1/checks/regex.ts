/**
 * The gateway matches with Rust's `regex` crate (1.x), which has no look-around and no
 * backreferences. `regexProblem` compiles with the very same crate (rregex, its WASM build), so
 * a pattern accepted here compiles in the gateway. The API server cannot run that compiler; its
 * CEL rules only catch the two most common mistakes with the heuristics below.
 */
import { RRegex } from 'rregex';

/**
 * `(?=`, `(?!`, `(?<=`, `(?<!` not escaped by a backslash. It can flag the same characters
 * inside a class such as `[(?=]`, which is rare enough to accept.
 */
export const LOOK_AROUND = '(^|[^\\\\])(\\\\\\\\)*\\(\\?<?[=!]';
/** `\1`..`\9` not escaped by a backslash. */
export const BACKREFERENCE = '(^|[^\\\\])(\\\\\\\\)*\\\\[1-9]';

export const LOOK_AROUND_MESSAGE =
  "look-around ((?=, (?!, (?<=, (?<!) is not supported by the gateway's Rust regex engine";
export const BACKREFERENCE_MESSAGE =
  "backreferences (\\1) are not supported by the gateway's Rust regex engine";

const lookAround = new RegExp(LOOK_AROUND);
const backreference = new RegExp(BACKREFERENCE);

export function hasLookAround(pattern: string): boolean {
  return lookAround.test(pattern);
}

export function hasBackreference(pattern: string): boolean {
  return backreference.test(pattern);
}

/**
 * Undefined when the gateway can compile the pattern, otherwise rregex's own message on one line,
 * e.g. "invalid regex: unclosed group (at character 1)".
 */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RRegex(pattern).free();
    return undefined;
  } catch (error) {
    return `invalid regex: ${describe(error instanceof Error ? error.message : String(error))}`;
  }
}

/**
 * regex-syntax prints the pattern, a line of carets under the bad span and `error: ...`; keep
 * the error and turn the caret column into a 1-based character position.
 */
function describe(message: string): string {
  const lines = message.split('\n');
  const error = lines.find((line) => line.startsWith('error: '));
  if (!error)
    return lines
      .map((line) => line.trim())
      .filter(Boolean)
      .join(' ');
  const carets = lines.find((line) => /^\s*\^+\s*$/.test(line));
  const pattern = carets ? lines[lines.indexOf(carets) - 1] : undefined;
  if (!carets || pattern === undefined) return error.slice('error: '.length);
  const indent = /^\s*/.exec(pattern)?.[0].length ?? 0;
  const column = carets.indexOf('^') - indent + 1;
  return `${error.slice('error: '.length)} (at character ${column})`;
}
