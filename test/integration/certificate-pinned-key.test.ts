import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { AcmeAccounts, InMemoryAccountKeyStore } from '../../src/acme/index.js';
import { CertificateResource, statusOf, type Certificate } from '../../src/api/v1alpha1/index.js';
import { issueCertificate, nextKeySecretName } from '../../src/controllers/certificates/issuer.js';
import { generatePrivateKey } from '../../src/domain/certs/index.js';
import { systemClock } from '../../src/runtime/clock.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { isForbidden } from '../../src/runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../../src/runtime/kube/resource.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { certificate, readSecret, secretEntry, withDnsNames } from '../support/certificate-kit.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** A kubeconfig for the same API server that authenticates with `token` only. */
function tokenKubeConfig(admin: KubeConfig, token: string): KubeConfig {
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin kubeconfig has no current cluster');
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'limited', token }],
    contexts: [{ name: 'limited', cluster: cluster.name, user: 'limited' }],
    currentContext: 'limited',
  });
  return kubeConfig;
}

const publisher = {
  publish: () => undefined,
  withdraw: () => undefined,
  status: () => ({ selected: 0, synced: 0, failed: 0, summary: '0/0', failures: [] }),
};

describe('A pinned private key survives a failing API read (real API server, RBAC)', function () {
  this.timeout(60_000);
  let admin: KubeClient;
  let limited: KubeClient;
  let namespace: string;

  before(async () => {
    const cluster = await sharedCluster();
    admin = new KubeClient(cluster.kubeConfig);
    namespace = uniqueName('cert-pinned');
    await admin.create(CoreTypes.namespace, { metadata: { name: namespace } });
    await admin.create(CoreTypes.serviceAccount, { metadata: { namespace, name: 'issuer' } });
    // Everything an attempt needs, except reading the certificate's own Secret: `get` is allowed
    // by name on the next-key Secret only, so that read is answered 403 Forbidden.
    await admin.create<KubeObject>(
      { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true },
      {
        metadata: { namespace, name: 'issuer' },
        rules: [
          {
            apiGroups: [''],
            resources: ['secrets'],
            verbs: ['get'],
            resourceNames: [nextKeySecretName('pin')],
          },
          { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'patch', 'delete'] },
          {
            apiGroups: ['gateway.awesomeapi.com.br'],
            resources: ['certificates', 'certificates/status'],
            verbs: ['get', 'patch'],
          },
        ],
      },
    );
    await admin.create<KubeObject>(
      {
        group: 'rbac.authorization.k8s.io',
        version: 'v1',
        plural: 'rolebindings',
        kind: 'RoleBinding',
        namespaced: true,
      },
      {
        metadata: { namespace, name: 'issuer' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'issuer' },
        subjects: [{ kind: 'ServiceAccount', name: 'issuer', namespace }],
      },
    );
    const token = await admin.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/issuer/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        },
      },
    );
    limited = new KubeClient(tokenKubeConfig(cluster.kubeConfig, token.status.token));
  });
  after(() => {
    limited.close();
    admin.close();
  });

  it('rotationPolicy Never: a 403 on the stored Secret fails the attempt and writes no new key', async () => {
    const pinnedKey = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const spec = certificate(namespace, 'pin', withDnsNames('pin.example.test')).spec as unknown as Record<
      string,
      unknown
    >;
    const cert = await admin.create<Certificate>(CertificateResource, {
      apiVersion: 'gateway.awesomeapi.com.br/v1alpha1',
      kind: 'Certificate',
      metadata: { namespace, name: 'pin' },
      spec: { ...spec, privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Never' } },
    } as unknown as Certificate);
    await admin.create(CoreTypes.secret, {
      metadata: { namespace, name: 'pin-tls' },
      type: 'Opaque',
      data: { 'tls.key': b64(pinnedKey) },
    });
    // The identity really is refused that read.
    const refused = await limited.get(CoreTypes.secret, namespace, 'pin-tls').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isForbidden(refused), String(refused)).to.equal(true);

    const accounts = new AcmeAccounts({ store: new InMemoryAccountKeyStore() });
    const outcome = await issueCertificate(cert, {
      client: limited,
      accounts,
      publisher,
      clock: systemClock,
      signal: new AbortController().signal,
      logger: silentLogger,
    });
    await accounts.close();

    expect(outcome.result).to.equal('failed');
    expect(outcome.message).to.match(/forbidden/i);
    // No key was generated in place of the pinned one, and the pinned one is where it was.
    expect(await readSecret(admin, namespace, nextKeySecretName('pin'))).to.equal(undefined);
    expect(secretEntry(await readSecret(admin, namespace, 'pin-tls'), 'tls.key')).to.equal(pinnedKey);
    const status = statusOf(await admin.get<Certificate>(CertificateResource, namespace, 'pin'));
    expect(status?.lastFailureMessage).to.match(/forbidden/i);
    expect(status?.failedIssuanceAttempts).to.equal(1);
    expect(status?.transientFailures).to.equal(0);
  });
});
