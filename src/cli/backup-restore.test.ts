import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { acmeAccountSecretName } from '../api/v1alpha1/labels.js';
import { generatePrivateKey } from '../domain/certs/keys.js';
import { T0, testPki, type TestPki } from '../domain/certs/pki.test-support.js';
import { certificateSecretContent } from '../domain/certs/secret.js';
import { createArchive, serializeArchive } from '../backup/archive.js';
import { encryptBackup, type ScryptParameters } from '../backup/encryption.js';
import { KubeClient } from '../runtime/kube/client.js';
import { CoreTypes, type KubeObject } from '../runtime/kube/resource.js';
import { sharedCluster, uniqueName } from '../../test/support/shared-cluster.js';
import type { Cluster } from '../envtest/cluster.js';
import { runBackup } from './backup.js';
import { runRestore } from './restore.js';
import type { Output } from './main.js';

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

const DAY = 86_400_000;
const PASSPHRASE = 'a long enough passphrase';
// The file records its scrypt cost; a low one keeps the test quick and restore reads it from the header.
const FAST: ScryptParameters = { logN: 12, r: 8, p: 1 };

function capture(): Output & { text: () => { stdout: string; stderr: string } } {
  let stdout = '';
  let stderr = '';
  return {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    text: () => ({ stdout, stderr }),
  };
}

describe('backup and restore (real API server)', function () {
  this.timeout(120_000);

  let cluster: Cluster;
  let client: KubeClient;
  let pki: TestPki;
  let key: string;
  let dir: string;
  let passphraseFile: string;
  const apps = uniqueName('backup-apps');
  const operator = uniqueName('backup-op');
  const accountName = acmeAccountSecretName('https://ca.example/dir', 'ops@example.com');

  async function certificateSecret(notBefore: Date): Promise<Secret> {
    const chainPem = await pki.issue({
      keyPem: key,
      dnsNames: ['shop.example.com'],
      notBefore,
      notAfter: new Date(notBefore.getTime() + 90 * DAY),
    });
    const content = certificateSecretContent({
      certificateName: 'shop',
      dnsNames: ['shop.example.com'],
      issuer: 'https://ca.example/dir',
      chainPem,
      keyPem: key,
      caPem: pki.root.certPem,
      revision: 1,
      temporary: false,
    });
    return {
      metadata: {
        namespace: apps,
        name: 'shop-tls',
        labels: content.labels,
        annotations: content.annotations,
      },
      type: content.type,
      data: content.data,
    };
  }

  const account: Secret = {
    metadata: {
      namespace: operator,
      name: accountName,
      labels: { 'gateway.awesomeapi.com.br/acme-account': 'true' },
      annotations: {
        'gateway.awesomeapi.com.br/acme-server': 'https://ca.example/dir',
        'gateway.awesomeapi.com.br/acme-email': 'ops@example.com',
      },
    },
    type: 'Opaque',
    data: { 'tls.key': Buffer.from('account key material').toString('base64') },
  };

  const backup = async (file: string, ...extra: string[]) => {
    const out = capture();
    const args = ['--out', file, '--passphrase-file', passphraseFile, ...extra];
    const code = await runBackup(args, {}, out, { kubeConfig: cluster.kubeConfig, scrypt: FAST });
    return { code, ...out.text() };
  };
  const restore = async (file: string, ...extra: string[]) => {
    const out = capture();
    const env = { GATEWAY_WORKER_BACKUP_PASSPHRASE: PASSPHRASE };
    const code = await runRestore(['--in', file, ...extra], env, out, { kubeConfig: cluster.kubeConfig });
    return { code, ...out.text() };
  };
  const get = (namespace: string, name: string) => client.get<Secret>(CoreTypes.secret, namespace, name);
  const content = (s: Secret) => ({
    type: s.type,
    data: s.data,
    labels: s.metadata.labels,
    annotations: s.metadata.annotations,
  });

  before(async () => {
    cluster = await sharedCluster();
    client = new KubeClient(cluster.kubeConfig);
    [pki, key] = await Promise.all([
      testPki('Backup'),
      generatePrivateKey({ algorithm: 'ECDSA', size: 256 }),
    ]);
    dir = mkdtempSync(join(tmpdir(), 'gw-backup-'));
    passphraseFile = join(dir, 'passphrase');
    writeFileSync(passphraseFile, `${PASSPHRASE}\n`);
    for (const namespace of [apps, operator]) {
      await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
    }
  });

  after(() => {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backs up, restores identical Secrets, changes nothing the second time, and keeps a newer certificate unless --force', async () => {
    const original = await certificateSecret(T0);
    await client.create(CoreTypes.secret, original);
    await client.create(CoreTypes.secret, account);
    await client.create(CoreTypes.secret, {
      metadata: { namespace: apps, name: 'unrelated' },
      type: 'Opaque',
      data: { x: 'eA==' },
    });
    const before = {
      cert: content(await get(apps, 'shop-tls')),
      account: content(await get(operator, accountName)),
    };

    const file = join(dir, 'cluster.backup');
    const saved = await backup(file, '--namespace', apps, '--namespace', operator);
    expect(saved.code, saved.stderr).to.equal(0);
    expect(saved.stdout).to.equal(`certificate  ${apps}/shop-tls\nacme-account ${operator}/${accountName}\n`);
    expect(saved.stderr).to.match(/1 certificate Secret and 1 ACME account Secret written to/);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from('account key material'))).to.equal(false);
    expect(bytes.includes(Buffer.from(original.data?.['tls.key'] ?? 'missing'))).to.equal(false);

    // Without --namespace, every namespace is searched.
    const everywhere = await backup(join(dir, 'all.backup'));
    expect(everywhere.code).to.equal(0);
    expect(everywhere.stdout).to.include(`${apps}/shop-tls`).and.include(`${operator}/${accountName}`);
    expect(everywhere.stdout).not.to.include('unrelated');

    await client.delete(CoreTypes.secret, apps, 'shop-tls');
    await client.delete(CoreTypes.secret, operator, accountName);

    const first = await restore(file);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.equal(
      `created    acme-account ${operator}/${accountName}\ncreated    certificate ${apps}/shop-tls\n`,
    );
    expect(first.stdout + first.stderr).not.to.include('BEGIN');
    expect(content(await get(apps, 'shop-tls'))).to.deep.equal(before.cert);
    expect(content(await get(operator, accountName))).to.deep.equal(before.account);

    const versions = [
      (await get(apps, 'shop-tls')).metadata.resourceVersion,
      (await get(operator, accountName)).metadata.resourceVersion,
    ];
    const second = await restore(file);
    expect(second.code).to.equal(0);
    expect(second.stdout).to.equal(
      `unchanged  acme-account ${operator}/${accountName}\nunchanged  certificate ${apps}/shop-tls\n`,
    );
    expect([
      (await get(apps, 'shop-tls')).metadata.resourceVersion,
      (await get(operator, accountName)).metadata.resourceVersion,
    ]).to.deep.equal(versions);

    // The cluster renews meanwhile: its certificate is newer than the backup's.
    const renewed = await certificateSecret(new Date(T0.getTime() + 30 * DAY));
    const current = await get(apps, 'shop-tls');
    await client.update(CoreTypes.secret, {
      ...current,
      data: renewed.data,
      metadata: { ...current.metadata, annotations: renewed.metadata.annotations },
    });
    const kept = await restore(file);
    expect(kept.code).to.equal(0);
    expect(kept.stdout).to.match(
      new RegExp(
        `^kept       certificate ${apps}/shop-tls: the cluster's certificate is as new or newer`,
        'm',
      ),
    );
    expect((await get(apps, 'shop-tls')).data).to.deep.equal(renewed.data);

    const dryRun = await restore(file, '--force', '--dry-run');
    expect(dryRun.stdout).to.match(new RegExp(`^would overwrite certificate ${apps}/shop-tls: --force`, 'm'));
    expect((await get(apps, 'shop-tls')).data).to.deep.equal(renewed.data);

    const forced = await restore(file, '--force');
    expect(forced.code).to.equal(0);
    expect(forced.stdout).to.match(new RegExp(`^overwrote  certificate ${apps}/shop-tls: --force`, 'm'));
    expect(content(await get(apps, 'shop-tls'))).to.deep.equal(before.cert);
  });

  it('creates a namespace the backup needs and the cluster lacks', async () => {
    const wiped = uniqueName('backup-wiped');
    const archive = createArchive([{ ...account, metadata: { ...account.metadata, namespace: wiped } }], T0);
    const file = join(dir, 'wiped.backup');
    writeFileSync(file, await encryptBackup(serializeArchive(archive), PASSPHRASE, FAST));
    const result = await restore(file);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal(`created    acme-account ${wiped}/${accountName}\n`);
    expect(content(await get(wiped, accountName))).to.deep.equal(content(account));
  });

  it('refuses a wrong passphrase and a damaged file, writing nothing', async () => {
    const file = join(dir, 'small.backup');
    expect((await backup(file, '--namespace', operator)).code).to.equal(0);
    const out = capture();
    const env = { GATEWAY_WORKER_BACKUP_PASSPHRASE: 'some other passphrase' };
    expect(await runRestore(['--in', file], env, out, { kubeConfig: cluster.kubeConfig })).to.equal(1);
    expect(out.text()).to.deep.equal({
      stdout: '',
      stderr: `gateway-worker restore: ${file}: wrong passphrase, or the backup file was changed or damaged\n`,
    });

    const damaged = readFileSync(file);
    damaged[damaged.length - 20] = (damaged[damaged.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, damaged);
    const result = await restore(file);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/changed or damaged/);
  });

  it('refuses a passphrase on the command line, a missing one and a short one', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--out', 'x', '--passphrase', 'secret'], {}, /visible to other users/],
      [
        ['--out', 'x'],
        {},
        /no passphrase: use --passphrase-file FILE or set GATEWAY_WORKER_BACKUP_PASSPHRASE/,
      ],
      [['--out', 'x'], { GATEWAY_WORKER_BACKUP_PASSPHRASE: 'short' }, /too short/],
    ];
    for (const [args, env, message] of cases) {
      const out = capture();
      expect(await runBackup(args, env, out, { kubeConfig: cluster.kubeConfig })).to.equal(2);
      expect(out.text().stderr).to.match(message);
    }
  });
});
