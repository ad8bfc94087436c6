/**
 * The HTTP API against the real API server, under the Helm chart's ServiceAccount (so the
 * chart's RBAC — create tokenreviews and subjectaccessreviews — is what the checks run with):
 * ServiceAccounts get tokens from the TokenRequest API, one is bound to the ClusterRole shown in
 * docs/api.md, one to a Role in a single namespace, one to nothing.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { parse } from 'yaml';
import { WafRuleSetResource } from '../../src/api/v1alpha1/index.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject, type ResourceType } from '../../src/runtime/kube/resource.js';
import { CHART_DIR, InstallTools, succeeded } from '../support/install-tools.js';
import { startOperatorHarness, type OperatorHarness } from '../support/operator-harness.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';
import { eventually } from '../support/widgets.js';

const DOCS_API = fileURLToPath(new URL('../../docs/api.md', import.meta.url));
const WAF_EXAMPLE = fileURLToPath(new URL('../../examples/wafruleset.yaml', import.meta.url));

const rbac = (plural: string, kind: string, namespaced: boolean): ResourceType => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});
const ClusterRoleType = rbac('clusterroles', 'ClusterRole', false);
const ClusterRoleBindingType = rbac('clusterrolebindings', 'ClusterRoleBinding', false);
const RoleType = rbac('roles', 'Role', true);
const RoleBindingType = rbac('rolebindings', 'RoleBinding', true);

/** The reader ClusterRole exactly as docs/api.md shows it. */
function documentedReaderRole(): KubeObject {
  const blocks = [...readFileSync(DOCS_API, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (m) => m[1] ?? '',
  );
  const block = blocks.find((b) => b.includes('name: gateway-worker-api-reader'));
  if (!block) throw new Error('docs/api.md shows no gateway-worker-api-reader ClusterRole');
  return parse(block) as KubeObject;
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('HTTP API: bearer tokens checked with TokenReview and SubjectAccessReview on a real API server', function () {
  this.timeout(180_000);
  let tools: InstallTools;
  let admin: KubeClient;
  let h: OperatorHarness;
  let base: string;
  const tokens = { reader: '', stranger: '', namespaceReader: '' };
  const suffix = uniqueName('api').slice(-20);

  const token = async (namespace: string, serviceAccount: string): Promise<string> => {
    // The TokenRequest API (serviceaccounts/token), as kubectl create token uses it.
    const review = await admin.request<{ status: { token: string } }>(
      'POST',
      `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`,
      {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: 3600 },
        },
      },
    );
    return review.status.token;
  };

  const call = async (path: string, bearer?: string, method = 'GET'): Promise<Reply> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: bearer === undefined ? {} : { Authorization: `Bearer ${bearer}` },
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: JSON.parse(text) as Record<string, unknown>,
    };
  };

  before(async () => {
    const cluster = await sharedCluster();
    tools = new InstallTools(cluster.kubeconfigPath);
    admin = new KubeClient(cluster.kubeConfig);
    // The operator runs as the chart's ServiceAccount, with a real token.
    const releaseNamespace = uniqueName('http-api-release');
    const release = uniqueName('httpapi');
    succeeded(
      await tools.helm([
        'install',
        release,
        CHART_DIR,
        '--namespace',
        releaseNamespace,
        '--create-namespace',
      ]),
      `helm install ${release}`,
    );
    const operatorAccount = succeeded(
      await tools.kubectl([
        '-n',
        releaseNamespace,
        'get',
        'serviceaccount',
        '-l',
        `app.kubernetes.io/instance=${release}`,
        '-o',
        'jsonpath={.items[0].metadata.name}',
      ]),
      'get serviceaccount',
    ).trim();
    const asOperator = new KubeConfig();
    const adminCluster = cluster.kubeConfig.getCurrentCluster();
    if (!adminCluster) throw new Error('no current cluster');
    asOperator.loadFromOptions({
      clusters: [adminCluster],
      users: [{ name: 'operator', token: await token(releaseNamespace, operatorAccount) }],
      contexts: [{ name: 'operator', cluster: adminCluster.name, user: 'operator' }],
      currentContext: 'operator',
    });
    h = await startOperatorHarness('http-api', { gateways: 2, kubeConfig: asOperator });
    base = `http://127.0.0.1:${String(h.operator.httpPort)}`;

    for (const name of ['reader', 'stranger', 'namespace-reader'])
      await admin.create(CoreTypes.serviceAccount, { metadata: { namespace: h.namespace, name } });
    const readerRole = documentedReaderRole();
    const roleName = `${readerRole.metadata.name ?? ''}-${suffix}`;
    await admin.create(ClusterRoleType, { ...readerRole, metadata: { name: roleName } });
    await admin.create(ClusterRoleBindingType, {
      metadata: { name: `reader-${suffix}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: h.namespace }],
    });
    await admin.create(RoleType, {
      metadata: { namespace: h.namespace, name: 'gateways-reader' },
      rules: [{ apiGroups: ['gateway.awesomeapi.com.br'], resources: ['gateways'], verbs: ['get', 'list'] }],
    });
    await admin.create(RoleBindingType, {
      metadata: { namespace: h.namespace, name: 'gateways-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gateways-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'namespace-reader', namespace: h.namespace }],
    });
    tokens.reader = await token(h.namespace, 'reader');
    tokens.stranger = await token(h.namespace, 'stranger');
    tokens.namespaceReader = await token(h.namespace, 'namespace-reader');
  });

  after(async () => {
    await h.stop();
    await admin.delete(ClusterRoleBindingType, undefined, `reader-${suffix}`).catch(() => undefined);
    await admin
      .delete(ClusterRoleType, undefined, `gateway-worker-api-reader-${suffix}`)
      .catch(() => undefined);
    admin.close();
    tools.dispose();
  });

  it('401 without a token, with a JSON reason and a Bearer challenge', async () => {
    const reply = await call('/api/v1/gateways');
    expect(reply.status).to.equal(401);
    expect(reply.headers.get('www-authenticate')).to.match(/^Bearer /);
    expect(reply.headers.get('content-type')).to.match(/^application\/json/);
    expect(reply.body).to.include({ code: 401, reason: 'Unauthorized' });
    expect(reply.body.message).to.match(/missing bearer token/);
  });

  it('401 for a token the API server does not accept, and for a header that is not Bearer', async () => {
    const garbage = await call('/api/v1/gateways', 'not-a-real-token');
    expect(garbage.status).to.equal(401);
    expect(garbage.body.message).to.match(/not accepted by the API server/);
    const response = await fetch(`${base}/api/v1/gateways`, {
      headers: { Authorization: 'Basic dXNlcjpwYXNz' },
    });
    expect(response.status).to.equal(401);
    expect(((await response.json()) as { message: string }).message).to.include('only bearer tokens');
  });

  it('403 for a valid token without the permission, naming the user, verb and resource', async () => {
    const reply = await call('/api/v1/gateways', tokens.stranger);
    expect(reply.status).to.equal(403);
    expect(reply.body).to.include({
      code: 403,
      reason: 'Forbidden',
      verb: 'list',
      resource: 'gateways.gateway.awesomeapi.com.br',
    });
    expect(reply.body.message).to.include(
      `user "system:serviceaccount:${h.namespace}:stranger" cannot list resource "gateways" in API group "gateway.awesomeapi.com.br" at the cluster scope`,
    );
  });

  it('200 for a token bound to the documented ClusterRole: the gateways and the versions they run', async () => {
    const waf = parse(readFileSync(WAF_EXAMPLE, 'utf8')) as KubeObject;
    await admin.create(WafRuleSetResource, { ...waf, metadata: { ...waf.metadata, namespace: h.namespace } });
    const simulated = h.gateways.simulated.gateways;
    const wafVersion = (i: number): string | undefined =>
      simulated[i]?.appliedVersions().RESOURCE_TYPE_WAF_RULES;
    await eventually(
      () => wafVersion(0) !== undefined && wafVersion(1) !== undefined,
      60_000,
      'both gateways apply the rules',
    );
    let reply: Reply = await call('/api/v1/gateways', tokens.reader);
    await eventually(
      async () => {
        reply = await call('/api/v1/gateways', tokens.reader);
        const items = reply.body.items as { config?: { waf?: { acknowledged?: string } } }[];
        return items.length === 2 && items.every((g, i) => g.config?.waf?.acknowledged === wafVersion(i));
      },
      30_000,
      'the API to show what each gateway acknowledged',
    );
    expect(reply.status).to.equal(200);
    expect(reply.body.replica).to.deep.include({ leader: true });
    const items = reply.body.items as Record<string, unknown>[];
    expect(items.map((g) => g.name)).to.deep.equal(simulated.map((g) => `${h.namespace}/${g.name}`));
    expect(items[0]).to.deep.include({ namespace: h.namespace, pod: simulated[0]?.name, connected: true });
    expect(items[0]?.certificates).to.deep.equal({ applied: 0, refused: 0 });
  });

  it('one gateway by namespace and pod (get, scoped to that name), and 404 for one it does not know', async () => {
    const pod = h.gateways.simulated.gateways[1]?.name ?? '';
    const one = await call(`/api/v1/gateways/${h.namespace}/${pod}`, tokens.reader);
    expect(one.status).to.equal(200);
    expect(one.body).to.include({ name: `${h.namespace}/${pod}`, connected: true });
    const unknown = await call(`/api/v1/gateways/${h.namespace}/no-such-pod`, tokens.reader);
    expect(unknown.status).to.equal(404);
    expect(unknown.body.message).to.include(`no gateway pod ${h.namespace}/no-such-pod`);
  });

  it('a RoleBinding in one namespace allows that namespace only', async () => {
    const scoped = await call(`/api/v1/gateways?namespace=${h.namespace}`, tokens.namespaceReader);
    expect(scoped.status).to.equal(200);
    expect((scoped.body.items as unknown[]).length).to.equal(2);
    const clusterWide = await call('/api/v1/gateways', tokens.namespaceReader);
    expect(clusterWide.status).to.equal(403);
    const elsewhere = await call('/api/v1/gateways?namespace=kube-system', tokens.namespaceReader);
    expect(elsewhere.status).to.equal(403);
    expect(elsewhere.body).to.include({ namespace: 'kube-system' });
    expect(elsewhere.body.message).to.include('in the namespace "kube-system"');
    const onePod = await call(`/api/v1/gateways/${h.namespace}/gateway-0`, tokens.namespaceReader);
    expect(onePod.status).to.equal(200);
  });

  it('400 for a bad query, listing what is allowed; 404 and 405 name the paths and methods', async () => {
    const badValue = await call('/api/v1/gateways?connected=maybe', tokens.reader);
    expect(badValue.status).to.equal(400);
    expect(badValue.body.message).to.equal('query parameter connected="maybe": must be true or false');
    const unknownParam = await call('/api/v1/gateways?color=red', tokens.reader);
    expect(unknownParam.body.message).to.equal(
      'unknown query parameter "color": allowed are namespace, connected',
    );
    const filtered = await call('/api/v1/gateways?connected=false', tokens.reader);
    expect(filtered.body.items).to.deep.equal([]);
    const missing = await call('/api/v1/nothing', tokens.reader);
    expect(missing.status).to.equal(404);
    expect(missing.body.message).to.include('GET /api/v1/gateways');
    const wrongMethod = await call('/api/v1/gateways', tokens.reader, 'DELETE');
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.headers.get('allow')).to.equal('GET');
  });

  it('an unknown path still needs a valid token first: nothing is answered to anonymous callers but 401', async () => {
    expect((await call('/api/v1/nothing')).status).to.equal(401);
    expect((await call('/api/v2/anything', 'garbage')).status).to.equal(401);
  });

  it('/health, /ready and /metrics stay open; reviews are cached, and counted', async () => {
    for (const path of ['/health', '/ready', '/metrics']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).to.equal(200);
    }
    const cached = async (): Promise<number> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith('gateway_worker_http_api_reviews_total{review="tokenreview",result="cached"}'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await cached();
    await call('/api/v1/gateways', tokens.reader);
    await call('/api/v1/gateways', tokens.reader);
    expect(await cached()).to.be.greaterThan(before);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).to.match(
      /gateway_worker_http_api_requests_total\{route="\/api\/v1\/gateways",method="GET",code="200"\} \d+/,
    );
    expect(metrics).to.match(
      /gateway_worker_http_api_requests_total\{route="unmatched",method="GET",code="401"\} \d+/,
    );
    expect(metrics, 'no token in the metrics').not.to.include(tokens.reader);
  });
});
