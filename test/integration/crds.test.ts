/**
 * The generated CRDs on a real API server: they install and become Established, kubectl
 * explains them and lists them by category, every example applies, and every invalid fixture
 * is rejected by the server and by `validate` alike, at the same field and for the same reason.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { KINDS, crdFor, kindNamed } from '../../src/api/v1alpha1/index.js';
import { findAsset } from '../../src/envtest/assets.js';
import { installCrds, readCrds, type CrdObject } from '../../src/envtest/crds.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { ApiError, type Status } from '../../src/runtime/kube/errors.js';
import { CoreTypes, resourcePath, type KubeObject } from '../../src/runtime/kube/resource.js';
import { readDocuments } from '../../src/validate/documents.js';
import { validateObject, validateText, withDefaults } from '../../src/validate/index.js';
import { invalidFixtures } from '../fixtures/invalid/index.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const run = promisify(execFile);
const CRDS_DIR = fileURLToPath(new URL('../../crds', import.meta.url));
const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));

describe('CRDs on a real API server', function () {
  this.timeout(120_000);
  let client: KubeClient;
  let kubeconfigPath: string;
  let namespace: string;

  const kubectl = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(findAsset('kubectl'), ['--kubeconfig', kubeconfigPath, ...args]);
    return stdout;
  };

  /** Creates with server-side dry run and strict field validation, as `kubectl apply` would. */
  const dryRunCreate = (obj: KubeObject): Promise<KubeObject> => {
    const kind = kindNamed(obj.kind ?? '');
    if (!kind) throw new Error(`not one of our kinds: ${String(obj.kind)}`);
    return client.request<KubeObject>('POST', resourcePath(kind.resource, namespace), {
      body: obj,
      query: { dryRun: 'All', fieldValidation: 'Strict' },
    });
  };

  before(async () => {
    const cluster = await sharedCluster();
    kubeconfigPath = cluster.kubeconfigPath;
    await installCrds(cluster.kubeConfig, readCrds([CRDS_DIR]));
    client = new KubeClient(cluster.kubeConfig);
    namespace = uniqueName('crds');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  });

  after(() => client.close());

  it('installs all three CRDs and they become Established', async () => {
    for (const kind of KINDS) {
      const name = crdFor(kind).metadata.name;
      const crd = await client.get<CrdObject>(CoreTypes.customResourceDefinition, undefined, name);
      const established = crd.status?.conditions?.find((c) => c.type === 'Established');
      expect(established?.status, kind.kind).to.equal('True');
    }
  });

  it('kubectl explain shows the field descriptions', async () => {
    // The API server publishes a new CRD's OpenAPI a moment after it is Established.
    const text = await eventually(() => kubectl('explain', 'certificates.spec.dnsNames'));
    expect(text).to.include('GROUP:      gateway.awesomeapi.com.br');
    expect(text).to.include('DNS names the certificate is valid for');
    expect(await kubectl('explain', 'wafrulesets.spec.rules.conditions.operator')).to.include('greater_than');
    expect(await kubectl('explain', 'gwroute.spec.routes.backends')).to.include('Set exactly one');
  });

  it('every example applies cleanly with kubectl (server-side dry run)', async () => {
    const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files).to.have.length.greaterThanOrEqual(4);
    const out = await kubectl('apply', '--dry-run=server', '-n', namespace, '-f', EXAMPLES_DIR);
    expect(out.trim().split('\n')).to.have.length(files.length);
    for (const line of out.trim().split('\n')) expect(line).to.match(/ created \(server dry run\)$/);
  });

  it('validate accepts every example and fills in the same defaults as the API server', async () => {
    for (const file of readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of readDocuments(readFileSync(join(EXAMPLES_DIR, file), 'utf8'))) {
        const obj = doc.value as KubeObject;
        expect(validateObject(obj), file).to.deep.equal([]);
        const stored = await dryRunCreate(obj);
        expect(stored.spec, file).to.deep.equal((withDefaults(obj) as KubeObject).spec);
      }
    }
  });

  it('lists every kind with kubectl get gateway-worker', async () => {
    await kubectl('create', '-n', namespace, '-f', EXAMPLES_DIR);
    const out = await eventually(() => kubectl('get', 'gateway-worker', '-A'));
    for (const name of [
      'certificate.gateway.awesomeapi.com.br/shop-tls',
      'wafruleset.gateway.awesomeapi.com.br/baseline',
      'routeconfig.gateway.awesomeapi.com.br/api',
    ]) {
      expect(out).to.include(name);
    }
    expect(out).to.match(/NAME\s+READY\s+MODE\s+RULES\s+REVISION\s+SYNCED\s+AGE/);
  });

  describe('invalid manifests', () => {
    for (const fixture of invalidFixtures()) {
      const label = `${fixture.file}: ${fixture.expectPath}: ${fixture.expectMessage}`;
      if (fixture.offlineOnly) {
        it(`${fixture.file} is accepted by the API server (offline-only: ${fixture.offlineOnly})`, async () => {
          await dryRunCreate(documentOf(fixture.text));
        });
        continue;
      }
      it(`rejects ${label}`, async () => {
        const status = await rejection(() => dryRunCreate(documentOf(fixture.text)));
        expect(
          serverReports(status, fixture.expectPath, fixture.expectMessage),
          JSON.stringify(status, null, 1),
        ).to.equal(true);
        const offline = validateText(fixture.text).problems;
        expect(
          offline.some((p) => p.path === fixture.expectPath && p.message.includes(fixture.expectMessage)),
          JSON.stringify(offline),
        ).to.equal(true);
      });
    }
  });
});

/** Retries an attempt that may fail while the API server catches up, for up to 30 seconds. */
async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function documentOf(text: string): KubeObject {
  const [doc] = readDocuments(text);
  return doc?.value as KubeObject;
}

async function rejection(attempt: () => Promise<unknown>): Promise<Status> {
  try {
    await attempt();
  } catch (error) {
    if (error instanceof ApiError && (error.code === 422 || error.code === 400)) return error.status ?? {};
    throw error;
  }
  throw new Error('the API server accepted the manifest');
}

/**
 * The server names the field in a cause (validation errors) or, for strict decoding errors
 * (unknown fields), only in the message.
 */
function serverReports(status: Status, path: string, fragment: string): boolean {
  const causes = status.details?.causes ?? [];
  if (causes.some((c) => c.field === path && (c.message ?? '').includes(fragment))) return true;
  return (status.message ?? '').includes(fragment) && (status.message ?? '').includes(path);
}
