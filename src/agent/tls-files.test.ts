import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { TlsMaterial } from '../grpc/credentials.js';
import { createCertificateAuthority, issueCertificate } from '../pki/x509.js';
import { FakeClock } from '../runtime/clock.js';
import { agentPki, recordingLogger, type AgentPki } from '../../test/support/agent-fixtures.js';
import { normalizeSerial } from '../../test/support/grpc-fixtures.js';
import { waitFor } from '../../test/support/secret-volume.js';
import { checkTlsFiles, TlsFileWatcher, type TlsFilePaths } from './tls-files.js';

const HOUR_MS = 3_600_000;

async function writeSet(dir: string, material: TlsMaterial): Promise<void> {
  await writeFile(join(dir, 'ca.crt'), material.caPem);
  await writeFile(join(dir, 'tls.crt'), material.certPem);
  await writeFile(join(dir, 'tls.key'), material.keyPem);
}

describe('checkTlsFiles', () => {
  let pki: AgentPki;
  let foreign: TlsMaterial;
  let otherCaPem: string;

  before(async () => {
    pki = await agentPki();
    const validity = { notBefore: new Date(Date.now() - HOUR_MS), notAfter: new Date(Date.now() + HOUR_MS) };
    const otherCa = await createCertificateAuthority('other CA', validity.notBefore, validity.notAfter);
    const leaf = await issueCertificate(otherCa, { commonName: 'x', usage: 'both', ...validity });
    foreign = { caPem: pki.ca.certPem, certPem: leaf.certPem, keyPem: leaf.keyPem };
    otherCaPem = otherCa.certPem;
  });

  it('returns the leaf of a set whose certificate a CA in the CA file issued', () => {
    const serial = normalizeSerial(new X509Certificate(pki.agent.certPem).serialNumber);
    expect(normalizeSerial(checkTlsFiles(pki.agent).serialNumber)).to.equal(serial);
    // A bundle during a CA rollover: the issuer is the second CA in the file.
    const bundle = { ...pki.agent, caPem: otherCaPem + pki.ca.certPem };
    expect(normalizeSerial(checkTlsFiles(bundle).serialNumber)).to.equal(serial);
  });

  const refusals: [string, (p: AgentPki, f: TlsMaterial) => TlsMaterial, RegExp][] = [
    ['an empty CA file', (p) => ({ ...p.agent, caPem: '' }), /the CA file holds no PEM certificate/],
    ['garbage in the CA file', (p) => ({ ...p.agent, caPem: 'not a certificate' }), /CA file holds no PEM/],
    [
      'a truncated certificate',
      (p) => ({ ...p.agent, certPem: p.agent.certPem.slice(0, 200) }),
      /certificate file holds no PEM certificate/,
    ],
    [
      'a key of another certificate',
      (p) => ({ ...p.agent, keyPem: p.worker.keyPem }),
      /unusable TLS material: .*key values mismatch/,
    ],
    ['a certificate from another CA', (_p, f) => f, /was not issued by a CA in the CA file/],
  ];
  for (const [what, make, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => checkTlsFiles(make(pki, foreign))).to.throw(message);
    });
  }
});

describe('TlsFileWatcher', () => {
  let pki: AgentPki;
  let root: string;
  let paths: TlsFilePaths;
  let applied: TlsMaterial[];
  let logs: string[];
  let watcher: TlsFileWatcher | undefined;

  const newWatcher = (options: Partial<ConstructorParameters<typeof TlsFileWatcher>[0]> = {}) =>
    new TlsFileWatcher({
      paths,
      current: pki.agent,
      apply: (material) => applied.push(material),
      logger: recordingLogger(logs),
      clock: new FakeClock(),
      ...options,
    });

  beforeEach(async () => {
    pki = await agentPki();
    root = await mkdtemp(join(tmpdir(), 'tls-files-'));
    await writeSet(root, pki.agent);
    paths = { ca: join(root, 'ca.crt'), cert: join(root, 'tls.crt'), key: join(root, 'tls.key') };
    applied = [];
    logs = [];
  });

  afterEach(async () => {
    watcher?.stop();
    watcher = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('applies nothing while the content is the set in service', async () => {
    watcher = newWatcher();
    expect(await watcher.check()).to.equal('unchanged');
    // Rewritten with the same bytes is no change either.
    await writeSet(root, pki.agent);
    expect(await watcher.check()).to.equal('unchanged');
    expect(applied).to.deep.equal([]);
  });

  it('applies a changed, usable set once', async () => {
    watcher = newWatcher();
    const renewed = await issueCertificate(pki.ca, {
      commonName: 'gateway-agent',
      usage: 'both',
      notBefore: new Date(Date.now() - HOUR_MS),
      notAfter: new Date(Date.now() + HOUR_MS),
    });
    const next = { caPem: pki.ca.certPem, certPem: renewed.certPem, keyPem: renewed.keyPem };
    await writeSet(root, next);
    expect(await watcher.check()).to.equal('applied');
    expect(await watcher.check()).to.equal('unchanged');
    expect(applied).to.deep.equal([next]);
  });

  it('keeps the set in service when applying throws, and warns once for the same content', async () => {
    watcher = newWatcher({
      apply: () => {
        throw new Error('the server said no');
      },
    });
    await writeSet(root, pki.workerServer);
    expect(await watcher.check()).to.equal('rejected');
    expect(await watcher.check()).to.equal('rejected');
    const warnings = logs.filter((l) => l.includes('TLS files not usable'));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.include('the server said no');
  });

  it('reports a missing file and keeps the set in service', async () => {
    watcher = newWatcher();
    await unlink(paths.key);
    expect(await watcher.check()).to.equal('rejected');
    expect(logs.join('\n')).to.match(/cannot read the TLS files: ENOENT/);
    expect(applied).to.deep.equal([]);
  });

  it('finds a change the folder watch cannot see with its periodic check', async () => {
    // The watched folder holds symlinks to files elsewhere: rewriting those files in place
    // changes nothing in the watched folder. The settle delay is longer than the period, so only
    // the periodic check can act when the clock moves by one period.
    const real = join(root, 'real');
    const watched = join(root, 'watched');
    await mkdir(real);
    await mkdir(watched);
    await writeSet(real, pki.agent);
    for (const name of ['ca.crt', 'tls.crt', 'tls.key']) await symlink(join(real, name), join(watched, name));
    paths = { ca: join(watched, 'ca.crt'), cert: join(watched, 'tls.crt'), key: join(watched, 'tls.key') };
    const clock = new FakeClock();
    watcher = newWatcher({ clock, checkIntervalMs: 1_000, settleMs: HOUR_MS });
    watcher.start();
    // The start-up check has run and found the set in service.
    await watcher.check();
    await writeSet(real, pki.workerServer);
    clock.advance(1_000);
    await waitFor('the periodic check applies the new set', () => Promise.resolve(applied.length === 1));
    expect(applied).to.deep.equal([pki.workerServer]);
  });
});
