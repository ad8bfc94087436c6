import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { ACME_ACCOUNT_LABEL, CERTIFICATE_NAME_LABEL } from '../../src/api/v1alpha1/labels.js';
import { main, type Output } from '../../src/cli/main.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { AcmeFront } from '../support/acme-front.js';
import {
  CertificateProbe,
  certificate,
  gatewayFiles,
  secretEntry,
  waitForGateways,
  withDnsNames,
  withEmail,
  withServer,
  type Secret,
} from '../support/certificate-kit.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';
import { sharedCluster } from '../support/shared-cluster.js';
import { eventually } from '../support/widgets.js';

const NAMES = ['alpha', 'beta'] as const;

class CapturedOutput implements Output {
  out = '';
  err = '';
  stdout(text: string): void {
    this.out += text;
  }
  stderr(text: string): void {
    this.err += text;
  }
}

describe('Certificate end to end: backup, wipe and restore (real Pebble, API server, agents, the CLI)', function () {
  this.timeout(180_000);
  let pebble: Pebble;
  let front: AcmeFront;
  let h: OperatorHarness;
  let dir: string;

  before(async () => {
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
    front = await AcmeFront.start({ port: pebble.listenPort, caBundle: pebble.caBundle, tls: pebble.tls });
    h = await startOperatorHarness('cert-backup', { gateways: 2, httpPort: pebble.httpPort });
    dir = mkdtempSync(join(tmpdir(), 'gateway-worker-backup-test-'));
  });
  after(async () => {
    await h.stop();
    await front.stop();
    await pebble.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function cli(args: string[]): Promise<CapturedOutput> {
    const output = new CapturedOutput();
    const kubeconfig = (await sharedCluster()).kubeconfigPath;
    const env = { KUBECONFIG: kubeconfig, GATEWAY_WORKER_BACKUP_PASSPHRASE: 'correct horse battery staple' };
    // The commands find the cluster with KubeConfig.loadFromDefault(), which reads
    // process.env.KUBECONFIG rather than the env given to main(): set both, as a shell would.
    const previous = process.env.KUBECONFIG;
    process.env.KUBECONFIG = kubeconfig;
    try {
      const code = await main(args, env, output);
      expect(code, `gateway-worker ${args.join(' ')}:\n${output.err}`).to.equal(0);
    } finally {
      if (previous === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = previous;
    }
    return output;
  }

  async function managedSecrets(): Promise<Secret[]> {
    const certificates = await h.client.list<Secret>(CoreTypes.secret, h.namespace, {
      labelSelector: CERTIFICATE_NAME_LABEL,
    });
    const accounts = await h.client.list<Secret>(CoreTypes.secret, h.namespace, {
      labelSelector: `${ACME_ACCOUNT_LABEL}=true`,
    });
    return [...certificates.items, ...accounts.items];
  }

  /** A metric line of the operator now running, e.g. `name{labels}`; undefined when absent. */
  async function metric(line: string): Promise<number | undefined> {
    const text = await (await fetch(`http://127.0.0.1:${h.operator.httpPort ?? 0}/metrics`)).text();
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  }

  it('serves the same certificates after the Secrets and the ACME account are wiped and restored, without a new order or account', async () => {
    const server = withServer(front.directoryUrl, pebble.caBundle);
    const email = withEmail('backup@example.test');
    for (const name of NAMES) {
      await h.client.create(
        CertificateResource,
        certificate(h.namespace, name, withDnsNames(`${name}.example.test`), server, email),
      );
    }
    const before = new Map<
      string,
      { fingerprint: string; revision: number; orderUrl: string; chain: string }
    >();
    for (const name of NAMES) {
      const probe = new CertificateProbe(h.client, h.namespace, name);
      const status = await probe.waitForIssued();
      const chain = secretEntry(await probe.secret(), 'tls.crt');
      await waitForGateways(h.gateways, h.namespace, name, chain);
      before.set(name, {
        fingerprint: status.fingerprintSHA256 ?? '',
        revision: status.revision ?? 0,
        orderUrl: status.order?.url ?? '',
        chain,
      });
    }
    const orders = front.count('newOrder', { status: 201 });
    const accounts = front.count('newAccount');
    expect(orders).to.equal(2);
    expect(accounts).to.be.at.least(1);
    const saved = await managedSecrets();
    expect(saved.map((s) => s.metadata.name).sort()).to.have.length(3);

    const file = join(dir, 'backup.gwb');
    const backup = await cli(['backup', '--out', file, '--namespace', h.namespace]);
    expect(backup.err).to.match(/2 certificate Secrets and 1 ACME account Secret written/);

    // Disaster: no operator, and the certificate and account Secrets gone. Then the restore.
    await h.restartOperator(async () => {
      for (const secret of saved) {
        await h.client.delete(CoreTypes.secret, h.namespace, secret.metadata.name ?? '');
      }
      await eventually(async () => (await managedSecrets()).length === 0, 10_000, 'the Secrets to be gone');
      const restore = await cli(['restore', '--in', file]);
      expect(restore.out.match(/^created /gm)).to.have.length(3);
    });

    // The new operator has looked at each Certificate and found it up to date: a Ready metric
    // and a renewal time exist only after such a reconcile.
    for (const name of NAMES) {
      const labels = `namespace="${h.namespace}",name="${name}"`;
      await eventually(
        async () =>
          (await metric(`gateway_worker_certificate_ready_status{${labels},condition="True"}`)) === 1 &&
          (await metric(`gateway_worker_certificate_renewal_timestamp_seconds{${labels}}`)) !== undefined,
        30_000,
        `the restarted operator to find ${name} up to date`,
      );
    }
    for (const name of NAMES) {
      const probe = new CertificateProbe(h.client, h.namespace, name);
      const status = await probe.waitForIssued();
      const was = before.get(name);
      expect(status.fingerprintSHA256).to.equal(was?.fingerprint);
      expect(status.revision).to.equal(was?.revision);
      expect(status.order?.url).to.equal(was?.orderUrl);
      expect(secretEntry(await probe.secret(), 'tls.crt')).to.equal(was?.chain);
      await waitForGateways(h.gateways, h.namespace, name, was?.chain ?? '');
      await probe.waitFor('every gateway synced', (s) => s?.gateways?.summary === '2/2');
    }
    expect(gatewayFiles(h.gateways, h.namespace, 'alpha').map((f) => f.crt)).to.deep.equal([
      before.get('alpha')?.chain,
      before.get('alpha')?.chain,
    ]);
    expect(
      await metric(
        'gateway_worker_certificate_issuance_duration_seconds_count{result="success",kind="acme"}',
      ),
    ).to.equal(undefined);
    expect(front.count('newOrder', { status: 201 })).to.equal(orders);

    // The restored account key is the one the CA knows: a new Certificate needs no new account.
    await h.client.create(
      CertificateResource,
      certificate(h.namespace, 'gamma', withDnsNames('gamma.example.test'), server, email),
    );
    await new CertificateProbe(h.client, h.namespace, 'gamma').waitForIssued();
    expect(front.count('newAccount')).to.equal(accounts);
    expect(front.count('newOrder', { status: 201 })).to.equal(orders + 1);
  });
});
