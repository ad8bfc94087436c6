/**
 * The chart's ServiceAccount can do what the controllers need and nothing more, asked of the real
 * RBAC authorizer with `kubectl auth can-i --as system:serviceaccount:NS:SA`: once for a release
 * that watches every namespace (a ClusterRole) and once for a release limited to two namespaces
 * (Roles there, nothing cluster-wide). Leases are reachable in the release namespace only.
 */
import { expect } from 'chai';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { watchRules } from '../../scripts/render-rbac.js';
import { CHART_DIR, InstallTools, succeeded } from '../support/install-tools.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const GROUP = 'gateway.awesomeapi.com.br';

/** The rules the controllers need where they watch, exactly: what the chart's generated template holds. */
const WATCH_RULES: V1PolicyRule[] = watchRules();

/**
 * The HTTP API's checks of its callers (TokenReview, SubjectAccessReview): cluster-scoped creates,
 * so a ClusterRole of their own in either watch mode (templates/http-api-rbac.yaml).
 */
const HTTP_API_AUTH_RULES: V1PolicyRule[] = [
  { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
  { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
];

/** verb, resource, where (a namespace, or 'all' for --all-namespaces), whether it is allowed. */
type Question = readonly [verb: string, resource: string, where: string, allowed: boolean];

interface Release {
  readonly name: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

describe('RBAC of the Helm chart (kubectl auth can-i as its ServiceAccount)', function () {
  this.timeout(180_000);
  let tools: InstallTools;

  before(async () => {
    const cluster = await sharedCluster();
    tools = new InstallTools(cluster.kubeconfigPath);
  });

  after(() => tools.dispose());

  const install = async (prefix: string, ...flags: string[]): Promise<Release> => {
    const namespace = uniqueName(`${prefix}-ns`);
    const name = uniqueName(prefix);
    succeeded(
      await tools.helm([
        'install',
        name,
        CHART_DIR,
        '--namespace',
        namespace,
        '--create-namespace',
        ...flags,
      ]),
      `helm install ${name}`,
    );
    const serviceAccount = succeeded(
      await tools.kubectl([
        '-n',
        namespace,
        'get',
        'serviceaccount',
        '-l',
        `app.kubernetes.io/instance=${name}`,
        '-o',
        'jsonpath={.items[*].metadata.name}',
      ]),
      'get serviceaccount',
    );
    expect(serviceAccount, 'one ServiceAccount').to.match(/^[a-z0-9.-]+$/);
    return { name, namespace, serviceAccount };
  };

  /** Every answer that differs from the expected one, as readable lines (empty when all match). */
  const mismatches = async (release: Release, questions: readonly Question[]): Promise<string[]> => {
    const as = `system:serviceaccount:${release.namespace}:${release.serviceAccount}`;
    const answers = await Promise.all(
      questions.map(async ([verb, resource, where, allowed]) => {
        const [name, subresource] = resource.split('/');
        const args = ['auth', 'can-i', verb, name!, '--as', as];
        if (subresource) args.push('--subresource', subresource);
        args.push(...(where === 'all' ? ['--all-namespaces'] : ['-n', where]));
        const result = await tools.kubectl(args);
        const answer = result.stdout.trim();
        // "no" for a resource type the server does not know would prove nothing.
        if (result.stderr.includes("doesn't have a resource type"))
          return `${resource}: ${result.stderr.trim()}`;
        if (answer !== 'yes' && answer !== 'no') return `${verb} ${resource}: ${result.stderr.trim()}`;
        const got = answer === 'yes';
        return got === allowed
          ? undefined
          : `${verb} ${resource} in ${where}: expected ${allowed ? 'yes' : 'no'}`;
      }),
    );
    return answers.filter((line): line is string => line !== undefined);
  };

  /** The names of the release's cluster-wide objects of `kind`, sorted. */
  const clusterWide = async (release: Release, kind: string): Promise<string[]> =>
    succeeded(
      await tools.kubectl([
        'get',
        kind,
        '-l',
        `app.kubernetes.io/instance=${release.name}`,
        '-o',
        'jsonpath={.items[*].metadata.name}',
      ]),
      `get ${kind}`,
    )
      .split(' ')
      .filter((name) => name !== '')
      .sort();

  const rulesOf = async (
    kind: 'clusterrole' | 'role',
    name: string,
    namespace?: string,
  ): Promise<V1PolicyRule[]> => {
    const args = namespace ? ['-n', namespace] : [];
    const obj = JSON.parse(
      succeeded(await tools.kubectl([...args, 'get', kind, name, '-o', 'json']), `get ${kind} ${name}`),
    ) as { rules: V1PolicyRule[] };
    return obj.rules;
  };

  describe('watching every namespace', () => {
    let release: Release;
    let elsewhere: string;

    before(async () => {
      const cluster = await sharedCluster();
      expect(cluster.kubeconfigPath).to.be.a('string');
      release = await install('gwall');
      elsewhere = uniqueName('gwall-other');
      await tools.ensureNamespaces([elsewhere]);
    });

    it('the ClusterRole holds exactly the rules the controllers need; the HTTP API’s its two reviews', async () => {
      const bindings = succeeded(
        await tools.kubectl([
          'get',
          'clusterrolebinding',
          '-l',
          `app.kubernetes.io/instance=${release.name}`,
          '-o',
          'jsonpath={.items[*].roleRef.name}',
        ]),
        'get clusterrolebinding',
      );
      const bound = bindings.split(' ').sort();
      const watch = bound.find((name) => !name.endsWith('-http-api-auth')) ?? '';
      expect(watch).to.include(release.name);
      expect(bound).to.deep.equal([watch, `${watch}-http-api-auth`].sort());
      expect(await rulesOf('clusterrole', watch)).to.deep.equal(WATCH_RULES);
      expect(await rulesOf('clusterrole', `${watch}-http-api-auth`)).to.deep.equal(HTTP_API_AUTH_RULES);
    });

    it('can do what the controllers need, in any namespace', async () => {
      const ns = elsewhere;
      const own = release.namespace;
      const questions: Question[] = [
        ['list', `certificates.${GROUP}`, 'all', true],
        ['watch', `certificates.${GROUP}`, 'all', true],
        ['get', `wafrulesets.${GROUP}`, ns, true],
        ['patch', `routeconfigs.${GROUP}`, ns, true],
        ['patch', `certificates.${GROUP}/status`, ns, true],
        ['update', `wafrulesets.${GROUP}/status`, ns, true],
        ['update', `certificates.${GROUP}/finalizers`, ns, true],
        ['create', 'secrets', ns, true],
        ['delete', 'secrets', ns, true],
        ['watch', 'secrets', 'all', true],
        ['update', 'configmaps', ns, true],
        ['list', 'pods', 'all', true],
        ['watch', 'services', ns, true],
        ['list', 'endpointslices.discovery.k8s.io', 'all', true],
        ['create', 'events.events.k8s.io', ns, true],
        ['patch', 'events.events.k8s.io', ns, true],
        ['get', 'leases.coordination.k8s.io', own, true],
        ['create', 'leases.coordination.k8s.io', own, true],
        ['update', 'leases.coordination.k8s.io', own, true],
        ['create', 'tokenreviews.authentication.k8s.io', 'all', true],
        ['create', 'subjectaccessreviews.authorization.k8s.io', 'all', true],
        ['list', `databasemigrations.${GROUP}`, 'all', true],
        ['patch', `databasebackups.${GROUP}/status`, ns, true],
        ['get', `databaseconnections.${GROUP}`, ns, true],
        ['watch', `reports.${GROUP}`, 'all', true],
        ['patch', `reports.${GROUP}/status`, ns, true],
        ['watch', 'configmaps', 'all', true],
        ['get', 'secrets', ns, true],
      ];
      expect(await mismatches(release, questions)).to.deep.equal([]);
    });

    it('cannot do anything else: no pods, no deployments, no leases elsewhere, no creating our kinds', async () => {
      const ns = elsewhere;
      const own = release.namespace;
      const questions: Question[] = [
        ['create', 'pods', ns, false],
        ['delete', 'pods', own, false],
        ['create', 'pods/exec', own, false],
        ['get', 'deployments.apps', own, false],
        ['list', 'deployments.apps', 'all', false],
        ['update', 'deployments.apps', own, false],
        ['delete', 'deployments.apps', ns, false],
        ['update', 'leases.coordination.k8s.io', ns, false],
        ['get', 'leases.coordination.k8s.io', ns, false],
        ['list', 'leases.coordination.k8s.io', own, false],
        ['delete', 'leases.coordination.k8s.io', own, false],
        ['create', `certificates.${GROUP}`, ns, false],
        ['delete', `routeconfigs.${GROUP}`, ns, false],
        ['create', `databasebackups.${GROUP}`, ns, false],
        ['delete', `databasemigrations.${GROUP}`, ns, false],
        ['create', `reports.${GROUP}`, ns, false],
        ['delete', `reports.${GROUP}`, ns, false],
        ['update', 'services', ns, false],
        ['create', 'events', ns, false],
        ['list', 'namespaces', 'all', false],
        ['list', 'nodes', 'all', false],
        ['get', 'customresourcedefinitions.apiextensions.k8s.io', 'all', false],
        ['create', 'clusterroles.rbac.authorization.k8s.io', 'all', false],
        ['create', 'rolebindings.rbac.authorization.k8s.io', own, false],
        ['create', 'serviceaccounts/token', own, false],
        ['create', 'localsubjectaccessreviews.authorization.k8s.io', ns, false],
        ['create', 'certificatesigningrequests.certificates.k8s.io', 'all', false],
      ];
      expect(await mismatches(release, questions)).to.deep.equal([]);
    });
  });

  describe('with watchNamespaces set', () => {
    let release: Release;
    let [a, b, c] = ['', '', ''];

    before(async () => {
      [a, b, c] = [uniqueName('gwns-a'), uniqueName('gwns-b'), uniqueName('gwns-c')];
      await tools.ensureNamespaces([a, b, c]);
      release = await install('gwns', '--set', `watchNamespaces={${a},${b}}`);
    });

    it('grants a Role in each watched namespace and, cluster-wide, only the HTTP API’s reviews', async () => {
      const clusterRoles = await clusterWide(release, 'clusterroles');
      expect(clusterRoles).to.have.length(1);
      const own = clusterRoles[0] ?? '';
      expect(own)
        .to.include(release.name)
        .and.match(/-http-api-auth$/);
      expect(await clusterWide(release, 'clusterrolebindings')).to.deep.equal([own]);
      expect(await rulesOf('clusterrole', own)).to.deep.equal(HTTP_API_AUTH_RULES);
      for (const namespace of [a, b]) {
        const roles = succeeded(
          await tools.kubectl([
            '-n',
            namespace,
            'get',
            'role',
            '-l',
            `app.kubernetes.io/instance=${release.name}`,
            '-o',
            'jsonpath={.items[*].metadata.name}',
          ]),
          'get role',
        );
        expect(await rulesOf('role', roles, namespace)).to.deep.equal(WATCH_RULES);
      }
    });

    it('reads Secrets and our kinds in the watched namespaces only (and its own Secrets)', async () => {
      const own = release.namespace;
      const questions: Question[] = [
        ['get', 'secrets', a, true],
        ['list', 'secrets', b, true],
        ['create', 'secrets', b, true],
        ['list', `certificates.${GROUP}`, a, true],
        ['patch', `certificates.${GROUP}/status`, b, true],
        ['create', 'events.events.k8s.io', a, true],
        ['update', 'leases.coordination.k8s.io', own, true],
        // Its own Secrets (the channel CA) live in the release namespace: Secrets only, only there.
        ['get', 'secrets', own, true],
        ['create', 'secrets', own, true],
        ['list', 'configmaps', own, false],
        ['list', `certificates.${GROUP}`, own, false],
        ['list', 'pods', own, false],
        ['get', 'secrets', c, false],
        ['list', 'secrets', 'all', false],
        ['get', 'configmaps', c, false],
        ['list', `certificates.${GROUP}`, c, false],
        ['list', `certificates.${GROUP}`, 'all', false],
        ['list', 'pods', c, false],
        ['create', 'events.events.k8s.io', c, false],
        ['update', 'leases.coordination.k8s.io', a, false],
        ['create', 'pods', a, false],
        ['get', 'deployments.apps', a, false],
        ['create', 'tokenreviews.authentication.k8s.io', 'all', true],
        ['create', 'subjectaccessreviews.authorization.k8s.io', 'all', true],
      ];
      expect(await mismatches(release, questions)).to.deep.equal([]);
    });
  });
});
