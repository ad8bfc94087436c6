/**
 * Whether a certificate's DNS names cover a requested name, by RFC 6125 §6.4.3 as browsers
 * apply it: compared case-insensitively, a wildcard only as the whole left-most label, and it
 * stands for exactly one label — `*.a.com` covers `x.a.com` but neither `a.com` nor `y.x.a.com`.
 */

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Whether one presented name (from the certificate) covers one requested name. */
export function nameCovers(presented: string, requested: string): boolean {
  const have = normalise(presented);
  const want = normalise(requested);
  if (have === want) return true;
  if (!have.startsWith('*.')) return false;
  // A requested wildcard is only covered by the same wildcard, handled by equality above.
  if (want.startsWith('*.')) return false;
  const dot = want.indexOf('.');
  return dot > 0 && want.slice(dot + 1) === have.slice(2);
}

/** The requested names no presented name covers, in the requested order. */
export function uncoveredNames(presented: readonly string[], requested: readonly string[]): string[] {
  return requested.filter((want) => !presented.some((have) => nameCovers(have, want)));
}

/** Whether two lists name the same set of DNS names, ignoring order, case and duplicates. */
export function sameNames(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a.map(normalise));
  const right = new Set(b.map(normalise));
  return left.size === right.size && [...left].every((name) => right.has(name));
}
