import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { sharedCluster } from '../../../test/support/shared-cluster.js';
import { KubeClient } from './client.js';
import { loadKubeAccess } from './kubeconfig.js';
import { CoreTypes } from './resource.js';

describe('loadKubeAccess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
    const path = join(dir, 'config');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'b',
        clusters: [
          { name: 'other', cluster: { server: 'https://other.example:6443' } },
          { name: 'c', cluster: { server: 'https://api.example:6443', ...cluster } },
        ],
        users: [{ name: 'u', user }],
        contexts: [
          { name: 'a', context: { cluster: 'other', user: 'u' } },
          { name: 'b', context: { cluster: 'c', user: 'u' } },
        ],
      }),
    );
    return path;
  }

  async function applied(path: string): Promise<RequestOptions> {
    const access = await loadKubeAccess({ env: { KUBECONFIG: path } });
    const opts: RequestOptions = {};
    await access.applyToHTTPSOptions(opts);
    return opts;
  }

  it('reads the current context: inline CA, client certificate and key, TLS server name', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    const path = kubeconfig(
      { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') },
      { 'certificate-authority-data': b64('CA'), 'tls-server-name': 'kubernetes' },
    );
    const access = await loadKubeAccess({ env: { KUBECONFIG: path } });
    expect(access.getCurrentCluster()?.server).to.equal('https://api.example:6443');
    const opts = await applied(path);
    expect(opts.ca).to.deep.equal(Buffer.from('CA'));
    expect(opts.cert).to.deep.equal(Buffer.from('CERT'));
    expect(opts.key).to.deep.equal(Buffer.from('KEY'));
    expect(opts.servername).to.equal('kubernetes');
    expect(opts.rejectUnauthorized).to.equal(undefined);
    expect(opts.headers).to.equal(undefined);
  });

  it('resolves file paths against the kubeconfig folder; a token file is read for the bearer token', async () => {
    writeFileSync(join(dir, 'ca.crt'), 'CA-FILE');
    writeFileSync(join(dir, 'token'), 'from-file\n');
    const opts = await applied(
      kubeconfig(
        { tokenFile: 'token' },
        { 'certificate-authority': 'ca.crt', 'insecure-skip-tls-verify': true },
      ),
    );
    expect(opts.ca).to.deep.equal(Buffer.from('CA-FILE'));
    expect(opts.rejectUnauthorized).to.equal(false);
    expect(opts.headers).to.deep.equal({ Authorization: 'Bearer from-file' });
  });

  it('sends a static token, or a user name and password', async () => {
    expect((await applied(kubeconfig({ token: 'abc' }))).headers).to.deep.equal({
      Authorization: 'Bearer abc',
    });
    expect((await applied(kubeconfig({ username: 'admin', password: 'pw' }))).auth).to.equal('admin:pw');
  });

  it('hands a user with an exec plugin to @kubernetes/client-node', async () => {
    const exec = kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'true' } });
    const access = await loadKubeAccess({ env: { KUBECONFIG: exec } });
    // The library's class (loaded by import(), so not necessarily the instance this file imports).
    expect(access.constructor.name).to.equal(KubeConfig.name);
    expect(access.getCurrentCluster()?.server).to.equal('https://api.example:6443');
  });

  it('uses the in-cluster service account when there is no kubeconfig', async () => {
    const sa = join(dir, 'sa');
    mkdirSync(sa);
    writeFileSync(join(sa, 'token'), 'sa-token');
    writeFileSync(join(sa, 'ca.crt'), 'SA-CA');
    const access = await loadKubeAccess({
      env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      home: join(dir, 'no-home'),
      serviceAccountDir: sa,
    });
    expect(access.getCurrentCluster()?.server).to.equal('https://[fd00::1]:443');
    const opts: RequestOptions = {};
    await access.applyToHTTPSOptions(opts);
    expect(opts.ca).to.deep.equal(Buffer.from('SA-CA'));
    expect(opts.headers).to.deep.equal({ Authorization: 'Bearer sa-token' });
  });

  it("talks to a real API server with the local control plane's kubeconfig", async () => {
    const cluster = await sharedCluster();
    const access = await loadKubeAccess({ env: { KUBECONFIG: cluster.kubeconfigPath } });
    expect(access.constructor.name).not.to.equal(KubeConfig.name);
    const client = new KubeClient(access);
    try {
      const { items } = await client.list(CoreTypes.namespace, undefined);
      expect(items.map((n) => n.metadata.name)).to.include('default');
    } finally {
      client.close();
    }
  });
});
