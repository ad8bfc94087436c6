/**
 * Where ACME account keys live. The ACME layer never touches Kubernetes: the controller
 * implements {@link AccountKeyStore} with a Secret in the operator's namespace, named from
 * {@link accountStoreName}. One key per (server, e-mail), created once and reused.
 */
import { createHash } from 'node:crypto';

export interface AccountIdentity {
  /** ACME directory URL. */
  readonly server: string;
  readonly email: string | undefined;
}

export interface StoredAccount {
  /** PKCS#8 PEM of the account key. */
  readonly privateKeyPem: string;
  /** The account URL at the server, once registered (saves a newAccount per start). */
  readonly url?: string;
}

export interface AccountKeyStore {
  load(identity: AccountIdentity): Promise<StoredAccount | undefined>;
  /** Creates or replaces the stored account; called with the key before registration, then with the URL. */
  save(identity: AccountIdentity, account: StoredAccount): Promise<void>;
}

/** A stable, DNS-label-safe name for an identity, e.g. for the Secret holding its key. */
export function accountStoreName(identity: AccountIdentity): string {
  const digest = createHash('sha256')
    .update(`${identity.server}\n${identity.email ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  return `acme-account-${digest}`;
}

/** Keeps accounts in memory: tests, the demo, and one-shot tools. */
export class InMemoryAccountKeyStore implements AccountKeyStore {
  private readonly accounts = new Map<string, StoredAccount>();
  saves = 0;

  load(identity: AccountIdentity): Promise<StoredAccount | undefined> {
    return Promise.resolve(this.accounts.get(accountStoreName(identity)));
  }

  save(identity: AccountIdentity, account: StoredAccount): Promise<void> {
    this.saves += 1;
    this.accounts.set(accountStoreName(identity), account);
    return Promise.resolve();
  }
}
