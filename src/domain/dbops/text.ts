/**
 * Bounded text for conditions, Events and logs: a server error or a statement can be huge (a
 * 32 KiB condition message broke Atlas's operator), so every one is cut to a known length. Pure.
 */

/** At most `max` characters, whitespace collapsed, with how much was cut. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const suffix = ` … (${flat.length - max} more characters)`;
  return `${flat.slice(0, Math.max(0, max - suffix.length))}${suffix}`;
}
