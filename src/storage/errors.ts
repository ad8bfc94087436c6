/** Database errors as one readable line, whichever store or driver raised them. */

/** The SQLSTATE of a PostgreSQL error (node-postgres and PGlite both set `code`). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const UNIQUE_VIOLATION = '23505';

export function describeDatabaseError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    // node-postgres reports every address it tried (IPv4 and IPv6 of "localhost") this way.
    return [...new Set(err.errors.map(describeDatabaseError))].join('; ');
  }
  if (err instanceof Error) {
    const message = err.message.trim() === '' ? err.name : (err.message.split('\n')[0] ?? err.name);
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(err);
}
