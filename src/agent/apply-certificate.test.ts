import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { GatewayAgentClient } from '../generated/gateway/worker/v1/agent.js';
import type { Certificate } from '../generated/gateway/worker/v1/resources.js';
import { issueCertificate, type KeyAndCert } from '../pki/x509.js';
import {
  agentClient,
  agentPki,
  applyCertificate,
  startTestAgent,
  type TestAgent,
} from '../../test/support/agent-fixtures.js';

const HOUR_MS = 3_600_000;

async function leaf(dnsName: string): Promise<KeyAndCert> {
  const { ca } = await agentPki();
  return issueCertificate(ca, {
    commonName: dnsName,
    dnsNames: [dnsName],
    usage: 'server',
    notBefore: new Date(Date.now() - HOUR_MS),
    notAfter: new Date(Date.now() + HOUR_MS),
  });
}

function certificate(
  name: string,
  issued: KeyAndCert,
  caPem: string,
  overrides: Partial<Certificate> = {},
): Certificate {
  return {
    name,
    version: `v-${issued.cert.serialNumber}`,
    certificateChainPem: issued.certPem + caPem,
    privateKeyPem: issued.keyPem,
    dnsNames: ['shop.example.com'],
    notAfterUnix: Math.floor(Date.now() / 1000) + 3600,
    temporary: false,
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('the agent accepted the certificate');
}

describe('agent ApplyCertificate', () => {
  let agent: TestAgent;
  let client: GatewayAgentClient;
  let caPem: string;
  let shop: KeyAndCert;

  before(async () => {
    const pki = await agentPki();
    caPem = pki.ca.certPem;
    shop = await leaf('shop.example.com');
    agent = await startTestAgent();
    client = agentClient(agent.agent.address, pki.worker);
  });

  after(async () => {
    client.close();
    await agent.stop();
  });

  it('writes certs/<name>.crt and a 0600 .key atomically, leaving no temporary file', async () => {
    const cert = certificate('shop', shop, caPem);
    expect(await applyCertificate(client, cert)).to.deep.equal({ version: cert.version });
    const certs = join(agent.dir, 'certs');
    expect((await readdir(certs)).sort()).to.deep.equal(['shop.crt', 'shop.key']);
    expect(await readFile(join(certs, 'shop.crt'), 'utf8')).to.equal(cert.certificateChainPem);
    expect(await readFile(join(certs, 'shop.key'), 'utf8')).to.equal(cert.privateKeyPem);
    expect((await stat(join(certs, 'shop.key'))).mode & 0o777).to.equal(0o600);
    expect((await stat(join(certs, 'shop.crt'))).mode & 0o777).to.equal(0o644);
    expect(agent.agent.appliedVersions()['certificate/shop']).to.equal(cert.version);
  });

  it('applies the same version again without touching the files', async () => {
    const cert = certificate('shop', shop, caPem);
    const before = await stat(join(agent.dir, 'certs', 'shop.crt'));
    expect(await applyCertificate(client, cert)).to.deep.equal({ version: cert.version });
    // A rewrite renames a new file into place, so an unchanged inode means no rewrite.
    expect((await stat(join(agent.dir, 'certs', 'shop.crt'))).ino).to.equal(before.ino);
  });

  it('replaces both files for a new version', async () => {
    const renewed = await leaf('shop.example.com');
    const cert = certificate('shop', renewed, caPem);
    await applyCertificate(client, cert);
    expect(await readFile(join(agent.dir, 'certs', 'shop.key'), 'utf8')).to.equal(renewed.keyPem);
    shop = renewed;
  });

  it('refuses a key that does not belong to the leaf, with INVALID_ARGUMENT, and writes nothing', async () => {
    const other = await leaf('other.example.com');
    const error = await refusal(
      applyCertificate(client, certificate('mixed', shop, caPem, { privateKeyPem: other.keyPem })),
    );
    expect(error.code).to.equal(status.INVALID_ARGUMENT);
    expect(error.details).to.equal(
      "certificate mixed: the private key does not match the leaf certificate's public key",
    );
    expect(await readdir(join(agent.dir, 'certs'))).to.not.include('mixed.key');
  });

  for (const name of ['../escape', 'Shop', '.hidden', '', 'a/b']) {
    it(`refuses the unsafe name "${name}" with INVALID_ARGUMENT`, async () => {
      const error = await refusal(applyCertificate(client, certificate(name, shop, caPem)));
      expect(error.code).to.equal(status.INVALID_ARGUMENT);
      expect(error.details).to.match(/is not a safe file name/);
    });
  }

  it('refuses a chain that is not leaf first', async () => {
    const error = await refusal(
      applyCertificate(
        client,
        certificate('backwards', shop, caPem, { certificateChainPem: caPem + shop.certPem }),
      ),
    );
    expect(error.code).to.equal(status.INVALID_ARGUMENT);
    expect(error.details).to.match(
      /certificate 2 of the chain did not issue certificate 1; the chain must be the leaf first/,
    );
  });

  it('refuses a chain that does not parse as X.509', async () => {
    const garbage = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
    const error = await refusal(
      applyCertificate(client, certificate('junk', shop, caPem, { certificateChainPem: garbage })),
    );
    expect(error.code).to.equal(status.INVALID_ARGUMENT);
    expect(error.details).to.match(/^certificate junk: certificate 1 of the chain does not parse as X\.509/);
  });

  it('refuses a key that does not parse without echoing it', async () => {
    const error = await refusal(
      applyCertificate(client, certificate('nokey', shop, caPem, { privateKeyPem: 'secret-material' })),
    );
    expect(error.code).to.equal(status.INVALID_ARGUMENT);
    expect(error.details).to.not.include('secret-material');
  });

  it('never writes key material to the logs', () => {
    const logs = agent.logs.join('\n');
    expect(logs).to.include('certificate applied');
    expect(logs).to.not.include('PRIVATE KEY');
    expect(logs).to.not.include(shop.keyPem.split('\n')[1]);
  });
});
