/**
 * node-postgres and libpq failures, sorted into the reasons a DatabaseConnection reports, each
 * with a message that says what is wrong and what to do. Passwords never appear: the messages
 * are built from the connection's description, which has none.
 */
import { describeDatabaseError, sqlState } from '../../storage/errors.js';
import { OperationError } from '../operation-error.js';
import type { ConnectionParams } from './connection-params.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNRESET',
]);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function codes(err: unknown): string[] {
  if (err instanceof AggregateError) return err.errors.flatMap(codes);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? [code] : [];
}

/** A connection or login failure, classified. Other errors (a failing statement) are not for here. */
export function connectionError(err: unknown, params: ConnectionParams): OperationError {
  if (err instanceof OperationError) return err;
  const where = params.description;
  const why = describeDatabaseError(err);
  const state = sqlState(err);
  const all = codes(err);
  if (state === '28P01' || state === '28000') {
    return new OperationError(
      'AuthenticationFailed',
      `${where} refused the login: ${why}. Check the user and the password in the Secret named by passwordSecretRef`,
      true,
    );
  }
  if (state === '3D000') {
    return new OperationError(
      'DatabaseNotFound',
      `${where}: ${why}. Create the database, or fix spec.database`,
      true,
    );
  }
  if (state === '53300' || state === '57P03' || state === '57P01') {
    return new OperationError('Unreachable', `${where} cannot take the connection now: ${why}`, false);
  }
  if (all.some((c) => TLS_CODES.has(c)) || /SSL|certificate|self.signed/i.test(why)) {
    return new OperationError(
      'TlsFailed',
      `TLS to ${where} failed: ${why}. Check sslMode and the CA in caSecretRef`,
      true,
    );
  }
  if (
    all.some((c) => NETWORK_CODES.has(c)) ||
    /timeout|terminated unexpectedly|Connection terminated/i.test(why)
  ) {
    return new OperationError(
      'Unreachable',
      `cannot reach ${where}: ${why}. Check spec.host and spec.port, and that the server runs and accepts connections from the operator`,
      false,
    );
  }
  return new OperationError('ConnectionFailed', `connecting to ${where} failed: ${why}`, false);
}

/**
 * A statement's failure as the server reported it: the message with its SQLSTATE, and the
 * server's detail and hint when it gave them.
 */
export function describeServerError(err: unknown): string {
  const base = describeDatabaseError(err);
  const extra = err as { detail?: unknown; hint?: unknown } | null;
  const detail = typeof extra?.detail === 'string' ? ` Detail: ${extra.detail}` : '';
  const hint = typeof extra?.hint === 'string' ? ` Hint: ${extra.hint}` : '';
  return `${base}${detail}${hint}`;
}

/** Whether the error came from the server about a statement (it has a SQLSTATE), not from the connection. */
export function isStatementError(err: unknown): boolean {
  return sqlState(err) !== undefined;
}
