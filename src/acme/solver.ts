/**
 * How an order proves control of its names. The order runner only knows {@link ChallengeSolver};
 * the two adapters here turn the simpler things the rest of the code provides into one:
 * HTTP-01 (a publisher that gets the token and key authorization to every gateway) and DNS-01
 * (a DNS provider that writes the TXT record, then a propagation check before the CA is told).
 */
import type { DnsProvider } from './dns/provider.js';

export interface AcmeIdentifier {
  readonly type: string;
  readonly value: string;
}

export interface AcmeChallenge {
  readonly type: string;
  readonly url: string;
  readonly status: string;
  readonly token: string;
}

export interface AcmeAuthorization {
  readonly url: string;
  readonly status: string;
  /** For a wildcard name the value is the base name (`*.a.example` → `a.example`). */
  readonly identifier: AcmeIdentifier;
  readonly wildcard?: boolean;
  readonly challenges: readonly AcmeChallenge[];
}

export type ChallengeType = 'http-01' | 'dns-01';

export interface ChallengeSolver {
  readonly type: ChallengeType;
  /**
   * Makes the answer visible to the CA. For HTTP-01 `keyAuthorization` is the body to serve at
   * /.well-known/acme-challenge/<token>; for DNS-01 it is already the TXT record value
   * (base64url SHA-256 of the key authorization). Resolves once the CA can see it.
   */
  present(authz: AcmeAuthorization, challenge: AcmeChallenge, keyAuthorization: string): Promise<void>;
  /**
   * Removes what present() added; called after the authorization settles, even on failure, and
   * for an authorization a resumed order finds already valid. Must be idempotent.
   */
  cleanup(authz: AcmeAuthorization, challenge: AcmeChallenge, keyAuthorization: string): Promise<void>;
}

/** Publishes HTTP-01 answers (the controller pushes them to the gateways). */
export interface Http01Publisher {
  present(token: string, keyAuthorization: string): Promise<void>;
  cleanup(token: string): Promise<void>;
}

export function http01Solver(publisher: Http01Publisher): ChallengeSolver {
  return {
    type: 'http-01',
    present: (_authz, challenge, keyAuthorization) => publisher.present(challenge.token, keyAuthorization),
    cleanup: (_authz, challenge) => publisher.cleanup(challenge.token),
  };
}

/** Writes and removes DNS-01 TXT records: the providers of src/acme/dns/ (RFC 2136, Cloudflare, ...). */
export type Dns01Provider = DnsProvider;

export interface Dns01SolverOptions {
  /**
   * Resolves when the record is visible where the CA will look (e.g. on every authoritative
   * server of the zone), rejects after its own timeout. Omitted: no wait.
   */
  readonly waitForPropagation?: (fqdn: string, value: string) => Promise<void>;
}

/** `_acme-challenge.<name>` without a trailing dot; a wildcard's record sits at its base name. */
export function dns01RecordName(identifier: string): string {
  const base = identifier.startsWith('*.') ? identifier.slice(2) : identifier;
  return `_acme-challenge.${base.replace(/\.$/, '')}`;
}

export function dns01Solver(provider: Dns01Provider, options: Dns01SolverOptions = {}): ChallengeSolver {
  return {
    type: 'dns-01',
    async present(authz, _challenge, value) {
      const fqdn = dns01RecordName(authz.identifier.value);
      await provider.present(fqdn, value);
      await options.waitForPropagation?.(fqdn, value);
    },
    cleanup: (authz, _challenge, value) => provider.cleanup(dns01RecordName(authz.identifier.value), value),
  };
}
