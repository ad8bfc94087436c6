/**
 * acme-client, driven through our transport: acme-client does the JWS signing, External Account
 * Binding, badNonce re-signing and key authorizations; every byte goes through the
 * {@link AcmeTransport} of this server. Each method labels its requests for the counter and
 * returns the server's Retry-After where a poller needs it.
 *
 * acme-client 5.4 has no option for its HTTP client: it uses one process-wide axios instance.
 * The only per-client seam is the `http.request` method of each Client, replaced here; the
 * package version is pinned and {@link bindTransport} checks the seam is still there.
 *
 * acme-client also signs every request with the account key as PEM, which makes OpenSSL parse
 * the key again each time (about 2 ms of the event loop per request, against 0.1 ms with a
 * parsed key); the same seam gets the key parsed once, as the KeyObject `crypto.sign` and
 * `crypto.createPublicKey` accept just as well.
 */
import { KeyObject, createPrivateKey } from 'node:crypto';
import type { Authorization, Client, Order } from 'acme-client';
import { AcmeError, LocalErrorType } from './errors.js';
import type { Polled } from './poll.js';
import type { AcmeIdentifier } from './solver.js';
import type { AcmeRequestKind, AcmeTransport, TransportResponse } from './transport.js';

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';

export interface ExternalAccountBinding {
  /** Key identifier given by the CA. */
  readonly keyID: string;
  /** MAC key given by the CA, base64url (base64 accepted). */
  readonly hmacKey: string;
}

export interface NewOrderFields {
  readonly identifiers: readonly AcmeIdentifier[];
  readonly profile?: string;
  /** RFC 9773 CertID of the certificate this order renews. */
  readonly replaces?: string;
}

type AcmeChallengeObject = Parameters<Client['completeChallenge']>[0];

interface HttpClientSeam {
  request: (url: string, method: string, opts?: object) => Promise<TransportResponse>;
  getDirectory: () => Promise<unknown>;
  accountKey: Buffer | KeyObject;
}

export class AcmeConnection {
  private client: Client;
  private readonly accountKey: KeyObject;

  /** acme-client is loaded with the first ACME account, not at start (+26 MiB RSS when idle). */
  static async open(
    transport: AcmeTransport,
    accountKeyPem: string,
    accountUrl: string | undefined,
    eab: ExternalAccountBinding | undefined,
  ): Promise<AcmeConnection> {
    const { Client } = await import('acme-client');
    return new AcmeConnection(Client, transport, accountKeyPem, accountUrl, eab);
  }

  private constructor(
    private readonly clientClass: typeof Client,
    readonly transport: AcmeTransport,
    private readonly accountKeyPem: string,
    accountUrl: string | undefined,
    private readonly eab: ExternalAccountBinding | undefined,
  ) {
    this.accountKey = createPrivateKey(accountKeyPem);
    this.client = this.newClient(accountUrl);
  }

  get accountUrl(): string | undefined {
    try {
      return this.client.getAccountUrl();
    } catch {
      return undefined;
    }
  }

  /**
   * newAccount with this key: creates the account, or finds the one this key already has
   * (RFC 8555 §7.3.1), and agrees to the terms of service. Returns the account URL.
   */
  async register(email: string | undefined): Promise<string> {
    this.client = this.newClient(undefined);
    const request = { termsOfServiceAgreed: true, contact: email ? [`mailto:${email}`] : [] };
    await this.label('newAccount', () => this.client.createAccount(request));
    const url = this.accountUrl;
    if (!url)
      throw new AcmeError({ type: LocalErrorType.protocol, detail: 'newAccount returned no account URL' });
    return url;
  }

  async directory(): Promise<Readonly<Record<string, unknown>>> {
    const { value } = await this.transport.call('directory', () => this.seam().getDirectory());
    if (typeof value !== 'object' || value === null) {
      throw new AcmeError({
        type: LocalErrorType.protocol,
        detail: 'the ACME directory is not a JSON object',
      });
    }
    return value as Readonly<Record<string, unknown>>;
  }

  async newOrder(fields: NewOrderFields): Promise<Order> {
    // profile and replaces are newer than acme-client's types; it sends the object as given.
    const request = {
      identifiers: fields.identifiers.map((i) => ({ type: i.type, value: i.value })),
      ...(fields.profile ? { profile: fields.profile } : {}),
      ...(fields.replaces ? { replaces: fields.replaces } : {}),
    };
    return this.label('newOrder', () => this.client.createOrder(request));
  }

  getOrder(url: string): Promise<Polled<Order>> {
    return this.transport.call('order', () => this.client.getOrder(orderRef(url)));
  }

  async getAuthorization(url: string): Promise<Polled<Authorization>> {
    const { value, retryAfter } = await this.transport.call('authorization', () =>
      this.client.getAuthorizations(orderRef('', [url])),
    );
    const [authz] = value;
    if (!authz) throw new AcmeError({ type: LocalErrorType.protocol, detail: `no authorization at ${url}` });
    return retryAfter ? { value: authz, retryAfter } : { value: authz };
  }

  keyAuthorization(challenge: AcmeChallengeObject): Promise<string> {
    return this.client.getChallengeKeyAuthorization(challenge);
  }

  async completeChallenge(challenge: AcmeChallengeObject): Promise<void> {
    await this.label('challenge', () => this.client.completeChallenge(challenge));
  }

  finalize(order: Order, csrPem: string): Promise<Polled<Order>> {
    return this.transport.call('finalize', () => this.client.finalizeOrder(order, csrPem));
  }

  certificate(order: Order, preferredChain?: string): Promise<string> {
    return this.label('certificate', () => this.client.getCertificate(order, preferredChain));
  }

  private async label<T>(kind: AcmeRequestKind, fn: () => Promise<T>): Promise<T> {
    return (await this.transport.call(kind, fn)).value;
  }

  private newClient(accountUrl: string | undefined): Client {
    const client = new this.clientClass({
      directoryUrl: this.transport.directoryUrl,
      accountKey: this.accountKeyPem,
      ...(accountUrl ? { accountUrl } : {}),
      ...(this.eab ? { externalAccountBinding: { kid: this.eab.keyID, hmacKey: this.eab.hmacKey } } : {}),
    });
    bindTransport(client, this.transport);
    httpSeam(client).accountKey = this.accountKey;
    return client;
  }

  private seam(): HttpClientSeam {
    return httpSeam(this.client);
  }
}

/** Routes every request of `client` through `transport`. */
export function bindTransport(client: Client, transport: AcmeTransport): void {
  const http = httpSeam(client);
  http.request = (url, method, opts) => transport.request(url, method, opts);
}

function httpSeam(client: Client): HttpClientSeam {
  const http: unknown = Reflect.get(client, 'http');
  if (
    typeof http !== 'object' ||
    http === null ||
    typeof Reflect.get(http, 'request') !== 'function' ||
    typeof Reflect.get(http, 'getDirectory') !== 'function' ||
    !isAccountKey(Reflect.get(http, 'accountKey'))
  ) {
    throw new Error(
      'acme-client changed: Client.http.request/getDirectory/accountKey are gone (written for 5.4.0)',
    );
  }
  return http as HttpClientSeam;
}

function isAccountKey(key: unknown): boolean {
  return Buffer.isBuffer(key) || key instanceof KeyObject;
}

/** The parts of an Order acme-client reads to fetch it or its authorizations. */
function orderRef(url: string, authorizations: string[] = []): Order {
  return { url, status: 'pending', identifiers: [], authorizations, finalize: '' };
}
