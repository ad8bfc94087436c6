import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { CertificateResource } from '../../src/api/v1alpha1/index.js';
import { ACME_ACCOUNT_LABEL } from '../../src/api/v1alpha1/labels.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { isForbidden } from '../../src/runtime/kube/errors.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import {
  CertificateProbe,
  certificate,
  secretEntry,
  verifiedChain,
  waitForGateways,
  withDnsNames,
  withServer,
} from '../support/certificate-kit.js';
import { CHART_DIR, InstallTools, succeeded } from '../support/install-tools.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { Pebble } from '../support/pebble.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { eventually } from '../support/widgets.js';

/** A kubeconfig for the same API server that authenticates with `token` only. */
function tokenKubeConfig(admin: KubeConfig, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'operator', cluster: cluster.name, user: 'operator' }],
    currentContext: 'operator',
  });
  return kubeConfig;
}

interface Release {
  readonly namespace: string;
  /** A kubeconfig that authenticates as the release's ServiceAccount, with a real token. */
  readonly asOperator: KubeConfig;
}

describe('Certificate end to end under the Helm chart’s ServiceAccount (its RBAC only, real Pebble and agents)', function () {
  this.timeout(180_000);
  let tools: InstallTools;
  let pebble: Pebble;

  before(async () => {
    tools = new InstallTools((await sharedCluster()).kubeconfigPath);
    pebble = await Pebble.start({ defaultIPv4: '127.0.0.2', validitySeconds: 3600 });
  });
  after(async () => {
    await pebble.stop();
    tools.dispose();
  });

  async function install(...flags: string[]): Promise<Release> {
    const cluster = await sharedCluster();
    const namespace = uniqueName('cert-rbac-release');
    const release = uniqueName('cert-rbac');
    succeeded(
      await tools.helm([
        'install',
        release,
        CHART_DIR,
        '--namespace',
        namespace,
        '--create-namespace',
        ...flags,
      ]),
      `helm install ${release}`,
    );
    const serviceAccount = succeeded(
      await tools.kubectl([
        '-n',
        namespace,
        'get',
        'serviceaccount',
        '-l',
        `app.kubernetes.io/instance=${release}`,
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]),
      'get serviceaccount',
    ).trim();
    // A token of the ServiceAccount from the TokenRequest API, as a pod would have it mounted.
    const token = succeeded(
      await tools.kubectl(['-n', namespace, 'create', 'token', serviceAccount, '--duration', '1h']),
      'create token',
    ).trim();
    return { namespace, asOperator: tokenKubeConfig(cluster.kubeConfig, token) };
  }

  /** Issues one certificate through `h` and checks it everywhere it should be. */
  async function issues(h: OperatorHarness, name: string, accountNamespace: string): Promise<void> {
    await h.client.create(
      CertificateResource,
      certificate(
        h.namespace,
        name,
        withDnsNames(`${name}.example.test`),
        withServer(pebble.directoryUrl, pebble.caBundle),
      ),
    );
    const probe = new CertificateProbe(h.client, h.namespace, name);
    const status = await probe.waitForIssued();
    const chain = secretEntry(await probe.secret(), 'tls.crt');
    const leaf = verifiedChain(chain, await pebble.rootCertificate());
    expect(leaf.fingerprintSHA256).to.equal(status.fingerprintSHA256);
    await waitForGateways(h.gateways, h.namespace, name, chain);
    await probe.waitFor('2/2 gateways', (s) => s?.gateways?.summary === '2/2');
    await eventually(
      async () => (await probe.events()).some((e) => e.reason === 'Issued'),
      10_000,
      'an Issued Event',
    );
    const accounts = await h.client.list(CoreTypes.secret, accountNamespace, {
      labelSelector: `${ACME_ACCOUNT_LABEL}=true`,
    });
    expect(accounts.items).to.have.length(1);
  }

  async function refusesToCreateCertificates(asOperator: KubeConfig, namespace: string): Promise<void> {
    const limited = new KubeClient(asOperator);
    try {
      const refused = await limited.create(CertificateResource, certificate(namespace, 'forbidden')).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isForbidden(refused), String(refused)).to.equal(true);
    } finally {
      limited.close();
    }
  }

  it('the default install (a ClusterRole): issues, stores and pushes a certificate', async () => {
    const release = await install();
    // The harness sets the namespace and the gateway pods up as the admin; the operator is the SA.
    const h = await startOperatorHarness('cert-rbac', {
      gateways: 2,
      httpPort: pebble.httpPort,
      kubeConfig: release.asOperator,
    });
    try {
      await refusesToCreateCertificates(release.asOperator, h.namespace);
      await issues(h, 'cluster-wide', h.namespace);
    } finally {
      // The next case's gateways answer HTTP-01 on the same address and port.
      await h.stop();
    }
  });

  it('an install limited to watchNamespaces (Roles only): issues into the watched namespace, with the ACME account in its own', async () => {
    const watched = uniqueName('cert-rbac-watched');
    await tools.ensureNamespaces([watched]);
    const release = await install('--set', `watchNamespaces={${watched}}`);
    const h = await startOperatorHarness('cert-rbac', {
      namespace: watched,
      gateways: 2,
      httpPort: pebble.httpPort,
      kubeConfig: release.asOperator,
      config: { podNamespace: release.namespace },
    });
    try {
      await refusesToCreateCertificates(release.asOperator, watched);
      await issues(h, 'namespaced', release.namespace);
    } finally {
      await h.stop();
    }
  });
});
