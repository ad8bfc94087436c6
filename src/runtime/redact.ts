/**
 * Keeps credentials out of logs. Values are replaced by key name, because the same field
 * (`data`, `tls.key`, `password`) carries a secret no matter what the value looks like.
 */
export const REDACTED = '[REDACTED]';

// Matched against the last dotted segment, so `tls.key` and `ssh-privatekey` match but
// `secretName` and `tokenExpiry` (names and dates, not secrets) stay readable.
const SENSITIVE_KEY =
  /^(?:data|stringdata|key|cookie|set-cookie)$|(?:password|passwd|passphrase|token|secret|authorization|credentials?|(?:private|client|tls|signing|api|encryption)[-_]?key)$/i;

const MAX_DEPTH = 8;

export function isSensitiveKey(key: string): boolean {
  const last = key.slice(key.lastIndexOf('.') + 1);
  return SENSITIVE_KEY.test(last);
}

/** A copy of `fields` safe to print: sensitive values redacted at any depth, errors made readable. */
export function redactFields(fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return redactObject(fields, 0, new WeakSet());
}

function redactObject(
  object: Readonly<Record<string, unknown>>,
  depth: number,
  seen: WeakSet<object>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    out[key] =
      isSensitiveKey(key) && value !== undefined && value !== null
        ? REDACTED
        : redactValue(value, depth + 1, seen);
  }
  return out;
}

function redactValue(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  // Buffers and typed arrays are raw bytes (keys, certificates, payloads): never printed.
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((item: unknown) => redactValue(item, depth + 1, seen));
  return redactObject(value as Record<string, unknown>, depth, seen);
}
