/**
 * ACME_CHALLENGES payloads, `{ token, keyAuthorization }`, and the table the HTTP server answers
 * HTTP-01 validations from. Kept in memory only: a challenge lives for minutes, and the worker
 * sends the full set again whenever the agent reconnects.
 */
import { PayloadProblem, object, string } from './json-checks.js';

export interface Challenge {
  readonly token: string;
  readonly keyAuthorization: string;
}

/** RFC 8555 §8.3: the token is base64url; the key authorization is token '.' thumbprint. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;
const THUMBPRINT = /^[A-Za-z0-9_-]{1,256}$/;

export function parseChallenge(payload: unknown): Challenge {
  const record = object(payload, '', ['token', 'keyAuthorization']);
  const token = string(record, 'token', '');
  if (!TOKEN.test(token)) throw new PayloadProblem('token: must be 1 to 256 base64url characters');
  const keyAuthorization = string(record, 'keyAuthorization', '');
  if (
    !keyAuthorization.startsWith(`${token}.`) ||
    !THUMBPRINT.test(keyAuthorization.slice(token.length + 1))
  ) {
    throw new PayloadProblem('keyAuthorization: must be the token, a dot and the base64url key thumbprint');
  }
  return { token, keyAuthorization };
}

export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

export class ChallengeTable {
  private byToken = new Map<string, string>();

  /** Replaces the whole set: tokens absent from an update are no longer served. */
  replace(challenges: readonly Challenge[]): void {
    this.byToken = new Map(challenges.map((c) => [c.token, c.keyAuthorization]));
  }

  keyAuthorization(token: string): string | undefined {
    return this.byToken.get(token);
  }

  get size(): number {
    return this.byToken.size;
  }
}
