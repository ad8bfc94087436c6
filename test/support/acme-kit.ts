/**
 * What ACME tests need around Pebble: a key and CSR for some names, a real HTTP server answering
 * HTTP-01 on Pebble's validation port (the reference agent's), a DNS-01 provider backed by
 * challtestsrv, and the chain check against Pebble's root.
 */
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { AgentHttpServer } from '../../src/agent/http-server.js';
import type { Dns01Provider, Http01Publisher } from '../../src/acme/index.js';
import { generateKeyPair, privateKeyToPem } from '../../src/pki/x509.js';
import { silentLogger } from '../../src/runtime/logger.js';
import type { Pebble } from './pebble.js';

export interface TestCsr {
  readonly pem: string;
  readonly der: Uint8Array;
  readonly keyPem: string;
}

/** An ECDSA P-256 key and a CSR for `dnsNames` (src/pki/x509.ts sets the WebCrypto provider). */
export async function csrFor(dnsNames: readonly string[]): Promise<TestCsr> {
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${dnsNames[0] ?? 'unnamed'}`,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns', value })))],
  });
  return {
    pem: csr.toString('pem'),
    der: new Uint8Array(csr.rawData),
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}

/**
 * The reference agent's HTTP server on 127.0.0.1:<Pebble's httpPort>, answering the tokens
 * published through it: the same path a gateway takes, without the push channel.
 */
export class Http01Responder implements Http01Publisher {
  readonly answers = new Map<string, string>();
  presented = 0;
  cleaned = 0;
  private readonly server: AgentHttpServer;

  constructor(port: number, host = '127.0.0.1') {
    this.server = new AgentHttpServer({
      host,
      port,
      keyAuthorization: (token) => this.answers.get(token),
      logger: silentLogger,
    });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  stop(): Promise<void> {
    return this.server.stop();
  }

  present(token: string, keyAuthorization: string): Promise<void> {
    this.presented += 1;
    this.answers.set(token, keyAuthorization);
    return Promise.resolve();
  }

  cleanup(token: string): Promise<void> {
    this.cleaned += 1;
    this.answers.delete(token);
    return Promise.resolve();
  }
}

/** DNS-01 through challtestsrv, value by value (a wildcard and its base share one name). */
export class ChalltestsrvDns implements Dns01Provider {
  readonly records = new Map<string, Set<string>>();

  constructor(private readonly pebble: Pebble) {}

  async present(fqdn: string, value: string): Promise<void> {
    const values = this.records.get(fqdn) ?? new Set<string>();
    values.add(value);
    this.records.set(fqdn, values);
    await this.pebble.setTxt(fqdn, value);
  }

  async cleanup(fqdn: string, value: string): Promise<void> {
    const values = this.records.get(fqdn);
    values?.delete(value);
    if (values && values.size > 0) return;
    // challtestsrv clears a name at once: only when no value there is in use any more.
    this.records.delete(fqdn);
    await this.pebble.clearTxt(fqdn);
  }
}

/** Checks leaf ← intermediates ← `rootPem`, signatures and issuer names, and returns the leaf. */
export function verifyChain(leafPem: string, chainPem: string, rootPem: string): X509Certificate {
  const leaf = new X509Certificate(leafPem);
  const chain = (chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (pem) => new X509Certificate(pem),
  );
  const root = new X509Certificate(rootPem);
  let child = leaf;
  for (const issuer of [...chain, root]) {
    if (!child.checkIssued(issuer) || !child.verify(issuer.publicKey)) {
      throw new Error(`${child.subject} is not signed by ${issuer.subject}`);
    }
    child = issuer;
  }
  return leaf;
}
