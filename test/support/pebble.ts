/**
 * A real ACME server for tests: Pebble (Let's Encrypt's test CA) on free loopback ports, with
 * pebble-challtestsrv as the DNS resolver its validation authority uses (or any other DNS
 * server, e.g. BIND). Pebble's HTTPS listener gets a certificate from a throwaway CA made here,
 * so clients trust it through `caBundle` alone; nothing disables TLS verification.
 *
 * Pebble keeps everything in memory: `restart()` gives a CA that forgot every account and order
 * and signs with a new root (the "CA was down" scenario).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findAsset } from '../../src/envtest/assets.js';
import { freePort, retryOnPortClash } from '../../src/envtest/ports.js';
import { ManagedProcess, releaseTempDir, trackTempDir } from '../../src/envtest/processes.js';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/x509.js';

export interface PebbleProfile {
  readonly description?: string;
  /** Certificate lifetime in seconds. */
  readonly validityPeriod: number;
}

export interface PebbleOptions {
  /**
   * Lifetime in seconds of the certificates Pebble issues (its `default` profile). Pebble 2.9
   * sets validity per profile (`profiles.<name>.validityPeriod`); the older top-level
   * `certificateValidityPeriod` is deprecated. Default: 1 hour.
   */
  readonly validitySeconds?: number;
  /**
   * Extra profiles next to `default`. Pebble picks a *random* profile for an order that names
   * none, so every profile should have the lifetime a test expects from unnamed orders.
   */
  readonly profiles?: Readonly<Record<string, PebbleProfile>>;
  /**
   * host:port of the DNS server Pebble resolves names and TXT records with (e.g. BIND). When
   * set, no pebble-challtestsrv is started and the DNS helpers of this class throw.
   */
  readonly dnsServer?: string;
  /** Address challtestsrv answers A queries for unknown names with; '' for none. Default 127.0.0.1. */
  readonly defaultIPv4?: string;
  /** External Account Binding: key id → base64url HMAC key; required for every new account. */
  readonly externalAccountMACKeys?: Readonly<Record<string, string>>;
  /** Names Pebble refuses to issue for (rejectedIdentifier). */
  readonly domainBlocklist?: readonly string[];
  /** Retry-After (seconds) Pebble sends while an authorization or order is processing; 0 = none. */
  readonly retryAfter?: { readonly authz: number; readonly order: number };
  /** Extra environment, e.g. { PEBBLE_WFE_NONCEREJECT: '0' } or { PEBBLE_AUTHZREUSE: '0' }. */
  readonly env?: Readonly<Record<string, string>>;
}

const READY_TIMEOUT_MS = 20_000;

interface Ports {
  readonly listen: number;
  readonly management: number;
  readonly http: number;
  readonly tls: number;
  readonly dns: number;
  readonly challtestsrvManagement: number;
}

export class Pebble {
  private pebble: ManagedProcess | undefined;
  private challtestsrv: ManagedProcess | undefined;

  private constructor(
    readonly dir: string,
    private readonly ports: Ports,
    /** PEM of the CA that signed Pebble's HTTPS certificate: pass it to clients as caBundle. */
    readonly caBundle: string,
    /** Certificate and key of Pebble's HTTPS listener (valid for localhost and 127.0.0.1), for fronts. */
    readonly tls: { readonly certPem: string; readonly keyPem: string },
    private readonly configFile: string,
    private readonly options: PebbleOptions,
  ) {}

  static async start(options: PebbleOptions = {}): Promise<Pebble> {
    // Fail fast, before a temp folder exists, when a binary is missing.
    findAsset('pebble');
    if (!options.dnsServer) findAsset('pebble-challtestsrv');
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-pebble-'));
    trackTempDir(dir);
    try {
      const now = Date.now();
      const ca = await createCertificateAuthority(
        'gateway-worker test Pebble TLS CA',
        new Date(now - 60_000),
        new Date(now + 24 * 3600_000),
      );
      const serving = await issueCertificate(ca, {
        commonName: 'pebble',
        dnsNames: ['localhost', 'pebble'],
        ipAddresses: ['127.0.0.1'],
        usage: 'server',
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 24 * 3600_000),
      });
      const certFile = join(dir, 'tls.crt');
      const keyFile = join(dir, 'tls.key');
      writeFileSync(certFile, serving.certPem + ca.certPem, { mode: 0o600 });
      writeFileSync(keyFile, serving.keyPem, { mode: 0o600 });

      return await retryOnPortClash(async () => {
        const ports: Ports = {
          listen: await freePort(),
          management: await freePort(),
          http: await freePort(),
          tls: await freePort(),
          dns: options.dnsServer ? 0 : await freePort(),
          challtestsrvManagement: options.dnsServer ? 0 : await freePort(),
        };
        const configFile = join(dir, 'pebble-config.json');
        writeFileSync(configFile, JSON.stringify(pebbleConfig(ports, certFile, keyFile, options), null, 2));
        const pebble = new Pebble(
          dir,
          ports,
          ca.certPem,
          { certPem: serving.certPem + ca.certPem, keyPem: serving.keyPem },
          configFile,
          options,
        );
        try {
          if (!options.dnsServer) await pebble.startChalltestsrv();
          await pebble.startPebble();
        } catch (error) {
          await pebble.stopProcesses();
          throw error;
        }
        return pebble;
      });
    } catch (error) {
      releaseTempDir(dir);
      throw error;
    }
  }

  /** The ACME directory URL. */
  get directoryUrl(): string {
    return `https://127.0.0.1:${this.ports.listen}/dir`;
  }

  /** host:port of the ACME listener (for a front that forwards to it). */
  get listenPort(): number {
    return this.ports.listen;
  }

  /** The port Pebble connects to on a name's address to validate HTTP-01 (its `httpPort`). */
  get httpPort(): number {
    return this.ports.http;
  }

  /** host:port of the DNS server Pebble resolves with. */
  get dnsServer(): string {
    return this.options.dnsServer ?? `127.0.0.1:${this.ports.dns}`;
  }

  get managementUrl(): string {
    return `https://127.0.0.1:${this.ports.management}`;
  }

  /** PEM of the root Pebble signs with (changes on every start). */
  rootCertificate(index = 0): Promise<string> {
    return this.managementGet(`/roots/${index}`);
  }

  /** PEM of the intermediate that signs leaf certificates. */
  intermediateCertificate(index = 0): Promise<string> {
    return this.managementGet(`/intermediates/${index}`);
  }

  /**
   * Overrides the ARI (RFC 9773) answer for a certificate Pebble issued; `ariResponse` is sent
   * verbatim, so malformed answers can be tested too.
   */
  async setRenewalInfo(certificatePem: string, ariResponse: string): Promise<void> {
    const body = JSON.stringify({ certificate: certificatePem, ariResponse });
    const { status, text } = await send(
      `${this.managementUrl}/set-renewal-info/`,
      'POST',
      body,
      this.caBundle,
    );
    if (status !== 200) throw new Error(`pebble set-renewal-info: HTTP ${status} ${text}`);
  }

  /** Makes `host` resolve to `addresses` (e.g. 127.0.0.2) for Pebble's validation authority. */
  addA(host: string, addresses: readonly string[]): Promise<void> {
    return this.challtestsrvPost('/add-a', { host, addresses });
  }

  clearA(host: string): Promise<void> {
    return this.challtestsrvPost('/clear-a', { host });
  }

  /** Serves a TXT record at `host` (e.g. _acme-challenge.a.example) from challtestsrv. */
  setTxt(host: string, value: string): Promise<void> {
    return this.challtestsrvPost('/set-txt', { host: fqdn(host), value });
  }

  clearTxt(host: string): Promise<void> {
    return this.challtestsrvPost('/clear-txt', { host: fqdn(host) });
  }

  /** Stops Pebble and starts a fresh one on the same ports: no accounts, no orders, a new root. */
  async restart(): Promise<void> {
    await this.pebble?.stop();
    await this.startPebble();
  }

  /** Stops only Pebble: the ACME listener refuses connections until {@link startAgain}. */
  async stopPebble(): Promise<void> {
    await this.pebble?.stop();
  }

  /** Starts Pebble again on the same ports; like {@link restart}, it remembers nothing. */
  async startAgain(): Promise<void> {
    if (this.pebble?.running) return;
    await this.startPebble();
  }

  async stop(): Promise<void> {
    await this.stopProcesses();
    releaseTempDir(this.dir);
  }

  private async stopProcesses(): Promise<void> {
    await this.pebble?.stop();
    await this.challtestsrv?.stop();
  }

  private async startPebble(): Promise<void> {
    const env = {
      PEBBLE_VA_NOSLEEP: '1',
      ...this.options.env,
    };
    // ManagedProcess inherits our environment; `env` adds Pebble's switches for this child only.
    this.pebble = ManagedProcess.start(
      'pebble',
      'env',
      [
        ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
        findAsset('pebble'),
        '-config',
        this.configFile,
        '-dnsserver',
        this.dnsServer,
      ],
      join(this.dir, 'pebble.log'),
    );
    await waitFor(this.pebble, async () => {
      const { status } = await send(this.directoryUrl, 'GET', undefined, this.caBundle);
      return status === 200;
    });
  }

  private async startChalltestsrv(): Promise<void> {
    const dns = `127.0.0.1:${this.ports.dns}`;
    this.challtestsrv = ManagedProcess.start(
      'pebble-challtestsrv',
      findAsset('pebble-challtestsrv'),
      [
        '-management',
        `127.0.0.1:${this.ports.challtestsrvManagement}`,
        '-dns01',
        dns,
        // Only DNS: the test's own HTTP server answers HTTP-01 on Pebble's httpPort.
        '-http01',
        '',
        '-https01',
        '',
        '-doh',
        '',
        '-tlsalpn01',
        '',
        '-defaultIPv4',
        this.options.defaultIPv4 ?? '127.0.0.1',
        // Pebble dials the first address it resolves and asks AAAA first: no IPv6 answers, so
        // HTTP-01 reaches the IPv4 loopback servers tests run.
        '-defaultIPv6',
        '',
      ],
      join(this.dir, 'challtestsrv.log'),
    );
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([dns]);
    await waitFor(this.challtestsrv, async () => {
      try {
        await resolver.resolve4('ready.pebble.test');
      } catch (error) {
        // Any DNS answer, even "no such name", means the server is answering.
        const code = (error as { code?: string }).code;
        if (code !== 'ENOTFOUND' && code !== 'ENODATA') return false;
      }
      // Setting the (already empty) IPv6 default again is a harmless request to the management API.
      const { status } = await send(
        `http://127.0.0.1:${this.ports.challtestsrvManagement}/set-default-ipv6`,
        'POST',
        '{"ip":""}',
      );
      return status === 200;
    });
  }

  private async managementGet(path: string): Promise<string> {
    const { status, text } = await send(`${this.managementUrl}${path}`, 'GET', undefined, this.caBundle);
    if (status !== 200) throw new Error(`pebble management ${path}: HTTP ${status} ${text}`);
    return text;
  }

  private async challtestsrvPost(path: string, body: object): Promise<void> {
    if (this.options.dnsServer) {
      throw new Error(`Pebble uses the DNS server ${this.options.dnsServer}: update records there`);
    }
    const url = `http://127.0.0.1:${this.ports.challtestsrvManagement}${path}`;
    const { status, text } = await send(url, 'POST', JSON.stringify(body));
    if (status !== 200) throw new Error(`challtestsrv ${path}: HTTP ${status} ${text}`);
  }
}

function pebbleConfig(ports: Ports, certificate: string, privateKey: string, options: PebbleOptions): object {
  const validityPeriod = options.validitySeconds ?? 3600;
  return {
    pebble: {
      listenAddress: `127.0.0.1:${ports.listen}`,
      managementListenAddress: `127.0.0.1:${ports.management}`,
      certificate,
      privateKey,
      httpPort: ports.http,
      tlsPort: ports.tls,
      ocspResponderURL: '',
      externalAccountBindingRequired: options.externalAccountMACKeys !== undefined,
      externalAccountMACKeys: options.externalAccountMACKeys ?? {},
      domainBlocklist: options.domainBlocklist ?? [],
      retryAfter: options.retryAfter ?? { authz: 0, order: 0 },
      // ECDSA issuing keys: generating RSA intermediates makes every start slower.
      keyAlgorithm: 'ecdsa',
      profiles: {
        default: { description: 'tests', validityPeriod },
        ...options.profiles,
      },
    },
  };
}

function fqdn(host: string): string {
  return host.endsWith('.') ? host : `${host}.`;
}

async function waitFor(process: ManagedProcess, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!process.running)
      throw new Error(`${process.name} exited before it was ready:\n${process.logTail()}`);
    if (await probe().catch(() => false)) return;
    await sleep(50);
  }
  await process.stop();
  throw new Error(`${process.name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${process.logTail()}`);
}

/** One request with node's own client; `ca` is trusted for this request only. */
function send(
  url: string,
  method: string,
  body?: string,
  ca?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const options = {
      method,
      timeout: 5_000,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    };
    const req = url.startsWith('https:')
      ? httpsRequest(url, { ...options, ca }, collect)
      : httpRequest(url, options, collect);
    function collect(res: IncomingMessage): void {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    }
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
