/**
 * The entry point of the ACME layer. {@link AcmeAccounts} hands out one {@link AcmeAccount}
 * per (server, e-mail): its key is loaded from the injected store, or created and saved
 * before it is registered, so a crash can never leave an account whose key is lost. An
 * account is registered once; its URL is saved and reused. A CA that forgot the account
 * (Pebble restarted, account purged) gets the same key registered again.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { AccountIdentity, AccountKeyStore, StoredAccount } from './account-store.js';
import { AcmeConnection, type ExternalAccountBinding } from './connection.js';
import { AcmeError, LocalErrorType } from './errors.js';
import { runOrder, type IssuedCertificate, type OrderRequest } from './order.js';
import { DEFAULT_POLL, type PollOptions } from './poll.js';
import { fetchRenewalInfo, type RenewalInfo } from './renewal-info.js';
import { AcmeTransport, type AcmeRequestObserver } from './transport.js';

export interface AcmeAccountsOptions {
  readonly store: AccountKeyStore;
  readonly clock?: Clock;
  /** Sees every request that reached an ACME server (metrics, the benchmark's count). */
  readonly onRequest?: AcmeRequestObserver;
  readonly poll?: Partial<PollOptions>;
  /** Per HTTP request; default 30 s. */
  readonly requestTimeoutMs?: number;
  readonly logger?: Logger;
}

export interface AccountOptions {
  /** ACME directory URL. */
  readonly server: string;
  readonly email?: string;
  /** PEM CAs trusted for this server's TLS instead of the system roots; for this server only. */
  readonly caBundle?: string;
  /** Needed only when the account is first registered with a CA that requires it. */
  readonly externalAccountBinding?: ExternalAccountBinding;
}

const generateKeyPairAsync = promisify(generateKeyPair);
const ACCOUNT_DOES_NOT_EXIST = 'accountDoesNotExist';

export class AcmeAccounts {
  private readonly accounts = new Map<string, Promise<AcmeAccount>>();
  /** The last open() per identity: opens of one identity run one after another. */
  private readonly opening = new Map<string, Promise<unknown>>();
  private readonly ordersInFlight = new Set<string>();
  private readonly clock: Clock;
  private readonly poll: PollOptions;

  constructor(private readonly options: AcmeAccountsOptions) {
    this.clock = options.clock ?? systemClock;
    this.poll = { ...DEFAULT_POLL, ...options.poll };
  }

  /**
   * The registered account for (server, email). Concurrent callers share one registration;
   * a failed one is not cached, so the next call tries again.
   */
  account(options: AccountOptions): Promise<AcmeAccount> {
    const cacheKey = JSON.stringify([
      options.server,
      options.email ?? '',
      options.caBundle ?? '',
      options.externalAccountBinding?.keyID ?? '',
    ]);
    let account = this.accounts.get(cacheKey);
    if (!account) {
      account = this.serialized(options, () => this.open(options));
      this.accounts.set(cacheKey, account);
      account.catch(() => this.accounts.delete(cacheKey));
    }
    return account;
  }

  /** Closes every connection (keep-alive sockets). */
  async close(): Promise<void> {
    const accounts = await Promise.allSettled(this.accounts.values());
    this.accounts.clear();
    for (const result of accounts) if (result.status === 'fulfilled') result.value.close();
  }

  /**
   * Two entries for one (server, email) (another caBundle, say) must not both find the store
   * empty and register two accounts: the second waits and then loads the first one's key.
   */
  private serialized<T>(options: AccountOptions, fn: () => Promise<T>): Promise<T> {
    const identity = JSON.stringify([options.server, options.email ?? '']);
    const previous = this.opening.get(identity) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.opening.set(identity, next);
    const forget = (): void => {
      if (this.opening.get(identity) === next) this.opening.delete(identity);
    };
    next.then(forget, forget);
    return next;
  }

  private async open(options: AccountOptions): Promise<AcmeAccount> {
    const identity: AccountIdentity = { server: options.server, email: options.email };
    const transport = new AcmeTransport(options.server, {
      caBundle: options.caBundle,
      timeoutMs: this.options.requestTimeoutMs ?? 30_000,
      clock: this.clock,
      onRequest: this.options.onRequest,
    });
    try {
      let stored = await this.options.store.load(identity);
      if (!stored) {
        stored = { privateKeyPem: await newAccountKey() };
        // Saved before registration: a crash after newAccount finds the same key next time.
        await this.options.store.save(identity, stored);
      }
      const account = new AcmeAccount(
        identity,
        await AcmeConnection.open(
          transport,
          stored.privateKeyPem,
          stored.url,
          options.externalAccountBinding,
        ),
        stored,
        {
          store: this.options.store,
          ordersInFlight: this.ordersInFlight,
          clock: this.clock,
          poll: this.poll,
          logger: this.options.logger,
        },
      );
      if (!stored.url) await account.register();
      return account;
    } catch (error) {
      transport.close();
      throw error;
    }
  }
}

interface AccountDependencies {
  readonly store: AccountKeyStore;
  readonly ordersInFlight: Set<string>;
  readonly clock: Clock;
  readonly poll: PollOptions;
  readonly logger: Logger | undefined;
}

export class AcmeAccount {
  /** @internal created by {@link AcmeAccounts.account}. */
  constructor(
    readonly identity: AccountIdentity,
    private readonly connection: AcmeConnection,
    private stored: StoredAccount,
    private readonly deps: AccountDependencies,
  ) {}

  /** The account URL at the server. */
  get url(): string | undefined {
    return this.connection.accountUrl;
  }

  /**
   * Obtains a certificate: resumes `request.orderUrl` or creates an order (calling
   * onIntent/onOrderCreated around newOrder), solves, finalizes, downloads. Throws an
   * {@link AcmeError}; a second call for the same `request.key` while one runs is refused.
   */
  async issue(request: OrderRequest): Promise<IssuedCertificate> {
    const { ordersInFlight } = this.deps;
    if (ordersInFlight.has(request.key)) {
      throw new AcmeError({
        type: LocalErrorType.orderInFlight,
        detail: `an ACME order for ${request.key} is already in progress`,
      });
    }
    ordersInFlight.add(request.key);
    try {
      const env = { clock: this.deps.clock, poll: this.deps.poll, logger: this.deps.logger };
      return await this.connection.transport.withSubject(request.key, () =>
        this.withAccount(() => runOrder(this.connection, request, env)),
      );
    } finally {
      ordersInFlight.delete(request.key);
    }
  }

  /**
   * The CA's suggested renewal window for a certificate it issued (RFC 9773), or undefined
   * when the server does not offer renewal information.
   */
  async renewalInfo(certificatePem: string): Promise<RenewalInfo | undefined> {
    const directory = await this.connection.directory();
    const url = directory.renewalInfo;
    if (typeof url !== 'string' || !url) return undefined;
    return fetchRenewalInfo(this.connection.transport, url, certificatePem);
  }

  /** @internal newAccount with the stored key; saves the URL. */
  async register(): Promise<void> {
    const url = await this.connection.register(this.identity.email);
    this.stored = { ...this.stored, url };
    await this.deps.store.save(this.identity, this.stored);
    this.deps.logger?.info('registered the ACME account', { server: this.identity.server, account: url });
  }

  close(): void {
    this.connection.transport.close();
  }

  private async withAccount<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof AcmeError) || error.code !== ACCOUNT_DOES_NOT_EXIST) throw error;
      this.deps.logger?.warn('the ACME server no longer knows the account; registering the key again', {
        server: this.identity.server,
      });
      await this.register();
      return fn();
    }
  }
}

async function newAccountKey(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
