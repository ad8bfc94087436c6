import { expect } from 'chai';
import { CertificateResource, type Certificate } from '../../src/api/v1alpha1/index.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { isConflict } from '../../src/runtime/kube/errors.js';
import { CoreTypes } from '../../src/runtime/kube/resource.js';
import { certificate } from '../support/certificate-kit.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

/**
 * The Certificate controller starts an ACME attempt only after a compare-and-swap on the cached
 * object: its status write, or — when the status to write is already there — a patch carrying
 * nothing but the cached resourceVersion. This checks that the API server treats the latter as
 * the controller relies on: refused when the object moved on, a no-op (no new version, no watch
 * event) when it did not.
 */
describe('The claim before an ACME attempt, against a real API server', function () {
  this.timeout(60_000);
  let client: KubeClient;
  let namespace: string;

  before(async () => {
    client = new KubeClient((await sharedCluster()).kubeConfig);
    namespace = uniqueName('cert-claim');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  });
  after(() => client.close());

  it('a resourceVersion-only status patch is refused from a stale cache and changes nothing from a current one', async () => {
    const cached = await client.create(CertificateResource, certificate(namespace, 'claim'));
    const moved = await client.mergePatch<Certificate>(
      CertificateResource,
      namespace,
      'claim',
      { status: { failedIssuanceAttempts: 1 } },
      'status',
    );
    const stale = await client
      .mergePatch(
        CertificateResource,
        namespace,
        'claim',
        { metadata: { resourceVersion: cached.metadata.resourceVersion } },
        'status',
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isConflict(stale), String(stale)).to.equal(true);

    const current = await client.mergePatch<Certificate>(
      CertificateResource,
      namespace,
      'claim',
      { metadata: { resourceVersion: moved.metadata.resourceVersion } },
      'status',
    );
    expect(current.metadata.resourceVersion).to.equal(moved.metadata.resourceVersion);
  });
});
