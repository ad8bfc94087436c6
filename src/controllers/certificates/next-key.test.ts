import { expect } from 'chai';
import { CertificateResource } from '../../api/v1alpha1/index.js';
import { certificate, tlsSecretFor, withPrivateKey } from '../../domain/acme/builders.test-support.js';
import { ApiError } from '../../runtime/kube/errors.js';
import { FakeKube } from '../../runtime/kube/fake-client.test-support.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import { decodeEntry, nextKey, nextKeySecretName, type Secret } from './next-key.js';

describe('the key of the next issuance (rotationPolicy Never)', () => {
  async function pinned() {
    const kube = new FakeKube();
    const cert = kube.seed(
      CertificateResource,
      certificate('c1', withPrivateKey({ rotationPolicy: 'Never' })),
    );
    const secret = kube.seed(CoreTypes.secret, await tlsSecretFor(cert));
    return { kube, cert, keyPem: decodeEntry((secret as Secret).data?.['tls.key']) };
  }

  it('keeps the stored key', async () => {
    const { kube, cert, keyPem } = await pinned();
    expect(await nextKey(cert, kube)).to.equal(keyPem);
  });

  for (const [what, error] of [
    ['a time-out', Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })],
    ['a 503', new ApiError(503, 'ServiceUnavailable', 'GET secrets/c1-tls: etcd unavailable')],
    ['a 403', new ApiError(403, 'Forbidden', 'secrets "c1-tls" is forbidden')],
  ] as const) {
    it(`does not read ${what} on the stored Secret as "no key": it fails and writes no new key`, async () => {
      const { kube, cert } = await pinned();
      kube.fail('get', 'secrets', error, 'c1-tls');
      const thrown = await nextKey(cert, kube).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(thrown).to.equal(error);
      expect(kube.stored(CoreTypes.secret, 'default', nextKeySecretName('c1'))).to.equal(undefined);
    });
  }
});
