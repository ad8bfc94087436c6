/**
 * The install paths, checked with the real helm and kubectl against a real API server: the chart
 * lints clean, renders a hardened two-replica operator, rejects bad values through its schema,
 * applies with a server-side dry run and installs; manifests/install.yaml and the chart's CRDs
 * are exactly what `npm run manifests` would write.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type {
  V1ClusterRole,
  V1Deployment,
  V1PodDisruptionBudget,
  V1Role,
  V1RoleBinding,
  V1Service,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import { KINDS } from '../../src/api/v1alpha1/index.js';
import type { KubeObject } from '../../src/runtime/kube/resource.js';
import { CHART_CRDS_DIR, CRDS_DIR, renderInstallManifest } from '../../scripts/render-manifests.js';
import {
  CHART_DIR,
  INSTALL_MANIFEST,
  InstallTools,
  parseObjects,
  succeeded,
} from '../support/install-tools.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const PACKAGE = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
) as {
  version: string;
};
const EXAMPLES_DIR = fileURLToPath(new URL('../../examples', import.meta.url));
const STANDARD_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/version',
  'app.kubernetes.io/managed-by',
];

/** Raw NetworkPolicy YAML (client-node's model renames `from` to `_from`). */
interface NetworkPolicy extends KubeObject {
  spec: { policyTypes: string[]; ingress: { ports: { port: string }[]; from?: unknown[] }[] };
}

interface RenderedKinds {
  Deployment: V1Deployment;
  PodDisruptionBudget: V1PodDisruptionBudget;
  Service: V1Service;
  ServiceAccount: KubeObject;
  Role: V1Role;
  ClusterRole: V1ClusterRole;
  NetworkPolicy: NetworkPolicy;
  ServiceMonitor: KubeObject & { spec: { endpoints: unknown[] } };
}

/** The one object of `kind` in `objects`. */
function only<K extends keyof RenderedKinds>(objects: readonly KubeObject[], kind: K): RenderedKinds[K] {
  const found = objects.filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).to.have.length(1);
  return found[0] as unknown as RenderedKinds[K];
}

function kinds(objects: readonly KubeObject[]): string[] {
  return objects.map((o) => o.kind ?? '?');
}

describe('Helm chart and install manifest', function () {
  this.timeout(180_000);
  let tools: InstallTools;

  before(async () => {
    const cluster = await sharedCluster();
    tools = new InstallTools(cluster.kubeconfigPath);
  });

  after(() => tools.dispose());

  /** `helm template` of the chart with extra flags, parsed. */
  const template = async (namespace: string, ...flags: string[]): Promise<KubeObject[]> =>
    parseObjects(
      succeeded(
        await tools.helm(['template', 'gateway-worker', CHART_DIR, '--namespace', namespace, ...flags]),
        'helm template',
      ),
    );

  describe('sources', () => {
    it('Chart.yaml is apiVersion v2 and follows the package version', () => {
      const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
      expect(chart).to.include({ apiVersion: 'v2', name: 'gateway-worker', type: 'application' });
      expect(chart.appVersion, 'appVersion').to.equal(PACKAGE.version);
      expect(chart.version, 'chart version').to.equal(PACKAGE.version);
    });

    it("the chart's crds/ is an exact copy of crds/ (run `npm run manifests`)", () => {
      const names = readdirSync(CRDS_DIR).filter((n) => n.endsWith('.yaml'));
      expect(readdirSync(CHART_CRDS_DIR).sort()).to.deep.equal(names.sort());
      for (const name of names) {
        const copy = readFileSync(join(CHART_CRDS_DIR, name), 'utf8');
        expect(
          copy === readFileSync(join(CRDS_DIR, name), 'utf8'),
          `helm/gateway-worker/crds/${name} is stale`,
        ).to.be.true;
      }
    });

    it('manifests/install.yaml is the chart rendered with its defaults (run `npm run manifests`)', async () => {
      const fresh = await renderInstallManifest();
      expect(readFileSync(INSTALL_MANIFEST, 'utf8') === fresh, 'manifests/install.yaml is stale').to.be.true;
      const objects = parseObjects(fresh);
      expect(objects[0]).to.deep.include({ kind: 'Namespace' });
      expect(objects[0]?.metadata.name).to.equal('gateway-worker-system');
      expect(kinds(objects).filter((k) => k === 'CustomResourceDefinition')).to.have.length(KINDS.length);
    });

    it('helm lint --strict is clean', async () => {
      const result = await tools.helm(['lint', '--strict', CHART_DIR]);
      const out = succeeded(result, 'helm lint --strict');
      expect(out).to.include('1 chart(s) linted, 0 chart(s) failed');
      expect(out).not.to.match(/\[(WARNING|ERROR)\]/);
    });
  });

  describe('rendering', () => {
    it('defaults: a one-replica, leader-elected, hardened Deployment on the embedded store, with probes, Service and RBAC', async () => {
      const objects = await template('gw-ns', '--include-crds');
      expect(kinds(objects).sort()).to.deep.equal(
        [
          'ClusterRole',
          'ClusterRole',
          'ClusterRoleBinding',
          'ClusterRoleBinding',
          ...KINDS.map(() => 'CustomResourceDefinition'),
          'Deployment',
          'PersistentVolumeClaim',
          'Role',
          'RoleBinding',
          'Service',
          'ServiceAccount',
        ].sort(),
      );
      for (const obj of objects.filter((o) => o.kind !== 'CustomResourceDefinition')) {
        const labels = obj.metadata.labels ?? {};
        expect(Object.keys(labels), `${String(obj.kind)} labels`).to.include.members(STANDARD_LABELS);
        expect(labels['app.kubernetes.io/version']).to.equal(PACKAGE.version);
        expect(labels['app.kubernetes.io/managed-by']).to.equal('Helm');
      }

      const deployment = only(objects, 'Deployment');
      expect(deployment.metadata?.namespace).to.equal('gw-ns');
      expect(deployment.spec?.replicas).to.equal(1);
      expect(deployment.spec?.strategy?.type, 'two pods never open the embedded store at once').to.equal(
        'Recreate',
      );
      const pod = deployment.spec!.template.spec!;
      const [container] = pod.containers;
      expect(container!.image).to.equal(`ghcr.io/awesomeapibrasil/gateway-worker:${PACKAGE.version}`);
      expect(container!.args).to.deep.equal(['operator']);
      const env = new Map(container!.env!.map((e) => [e.name, e]));
      expect(env.get('LEADER_ELECTION')?.value).to.equal('true');
      expect(env.get('WATCH_NAMESPACES')?.value).to.equal('');
      expect(env.get('POD_NAMESPACE')?.valueFrom?.fieldRef?.fieldPath).to.equal('metadata.namespace');
      expect(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath).to.equal('metadata.name');
      expect(env.get('EMBEDDED_DATA_DIR')?.value).to.equal('/var/lib/gateway-worker/embedded');
      expect(env.has('DATABASE_URL')).to.equal(false);
      expect(env.get('DATABASE_SCHEMA')?.value).to.equal('gateway_worker');
      expect(container!.ports!.map((p) => [p.name, p.containerPort])).to.deep.equal([
        ['grpc', 8080],
        ['http', 8081],
      ]);
      expect(container!.livenessProbe?.httpGet).to.deep.include({ path: '/health', port: 'http' });
      expect(container!.readinessProbe?.httpGet).to.deep.include({ path: '/ready', port: 'http' });
      expect(container!.resources?.requests).to.have.keys('cpu', 'memory');
      expect(container!.resources?.limits).to.have.keys('cpu', 'memory');

      expect(pod.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 65532 });
      expect(pod.securityContext?.seccompProfile?.type).to.equal('RuntimeDefault');
      expect(container!.securityContext).to.deep.include({
        runAsNonRoot: true,
        runAsUser: 65532,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
      });
      expect(container!.securityContext?.capabilities?.drop).to.deep.equal(['ALL']);
      expect(container!.securityContext?.seccompProfile?.type).to.equal('RuntimeDefault');
      expect(container!.volumeMounts).to.deep.equal([
        { name: 'tmp', mountPath: '/tmp' },
        { name: 'data', mountPath: '/var/lib/gateway-worker' },
      ]);
      expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).to.be.an('object');
      const claim = objects.find((o) => o.kind === 'PersistentVolumeClaim')!;
      expect(pod.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).to.equal(
        claim.metadata.name,
      );
      expect(claim.metadata.annotations?.['helm.sh/resource-policy']).to.equal('keep');

      const [preferred] = pod.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution!;
      expect(preferred!.podAffinityTerm.topologyKey).to.equal('kubernetes.io/hostname');
      expect(preferred!.podAffinityTerm.labelSelector?.matchLabels).to.deep.equal(
        deployment.spec!.selector.matchLabels,
      );

      const service = only(objects, 'Service');
      expect(service.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).to.deep.equal([
        ['grpc', 8080, 'grpc'],
        ['http', 8081, 'http'],
      ]);
      expect(service.spec?.selector).to.deep.equal(deployment.spec!.selector.matchLabels);
      expect(pod.serviceAccountName).to.equal(only(objects, 'ServiceAccount').metadata.name);

      const leases = only(objects, 'Role');
      expect(leases.metadata?.namespace).to.equal('gw-ns');
      expect(leases.rules).to.deep.equal([
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ]);
      const clusterRoles = objects.filter((o) => o.kind === 'ClusterRole') as unknown as V1ClusterRole[];
      expect(clusterRoles.map((r) => r.metadata?.name).sort()).to.deep.equal([
        'gateway-worker',
        'gateway-worker-http-api-auth',
      ]);
      for (const role of clusterRoles)
        expect(role.rules?.some((r) => r.resources?.includes('leases'))).to.equal(false);
      // The HTTP API checks its callers with these two reviews, and needs nothing else.
      expect(
        clusterRoles.find((r) => r.metadata?.name === 'gateway-worker-http-api-auth')?.rules,
      ).to.deep.equal([
        { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
        { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      ]);
      expect(env.has('OBJECT_STORE_URL'), 'no object store by default').to.equal(false);
    });

    it('watchNamespaces: WATCH_NAMESPACES, and a Role in each namespace instead of the watch ClusterRole', async () => {
      const objects = await template('gw-ns', '--set', 'watchNamespaces={team-a,team-b}');
      const deployment = only(objects, 'Deployment');
      const env = deployment.spec!.template.spec!.containers[0]!.env!;
      expect(env.find((e) => e.name === 'WATCH_NAMESPACES')?.value).to.equal('team-a,team-b');
      // Cluster-wide, only the HTTP API's reviews (cluster-scoped by nature).
      expect(only(objects, 'ClusterRole').metadata?.name).to.equal('gateway-worker-http-api-auth');
      expect(
        objects.filter((o) => o.kind === 'ClusterRoleBinding').map((o) => o.metadata.name),
      ).to.deep.equal(['gateway-worker-http-api-auth']);
      const roles = objects.filter((o) => o.kind === 'Role') as unknown as V1Role[];
      const bindings = objects.filter((o) => o.kind === 'RoleBinding') as unknown as V1RoleBinding[];
      const where = (objs: (V1Role | V1RoleBinding)[]): string[] =>
        objs.map((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`).sort();
      const expected = [
        'gw-ns/gateway-worker-leader-election',
        'gw-ns/gateway-worker-own-secrets',
        'team-a/gateway-worker',
        'team-b/gateway-worker',
      ];
      expect(where(roles)).to.deep.equal(expected);
      expect(where(bindings)).to.deep.equal(expected);
      for (const binding of bindings) {
        expect(binding.subjects).to.deep.equal([
          { kind: 'ServiceAccount', name: 'gateway-worker', namespace: 'gw-ns' },
        ]);
      }
      // The operator's own Secrets (the channel CA) live in its namespace: Secrets only, only there.
      const ownSecrets = roles.find((r) => r.metadata?.name === 'gateway-worker-own-secrets');
      expect(ownSecrets?.rules).to.deep.equal([
        {
          apiGroups: [''],
          resources: ['secrets'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
      ]);

      const watchingItself = await template('gw-ns', '--set', 'watchNamespaces={gw-ns,team-a}');
      const names = watchingItself.filter((o) => o.kind === 'Role').map((o) => o.metadata.name);
      expect(names, 'its own namespace is already covered').not.to.include('gateway-worker-own-secrets');
    });

    it('gateway discovery, V8 flags and extra environment variables reach the container', async () => {
      const env = (objects: KubeObject[]): Record<string, string | undefined> =>
        Object.fromEntries(
          only(objects, 'Deployment').spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e.value]),
        );
      const defaults = env(await template('gw-ns'));
      expect(defaults).not.to.have.any.keys('GATEWAY_SELECTOR', 'GATEWAY_AGENT_PORT', 'NODE_OPTIONS');
      const set = env(
        await template(
          'gw-ns',
          '--set',
          'gateways.selector=app=edge\\,tier=gw,gateways.agentPort=9000',
          '--set',
          'nodeOptions=--max-semi-space-size=2',
          '--set-json',
          'extraEnv=[{"name":"CONFIG_FILE","value":"/etc/gw/config.yaml"}]',
        ),
      );
      expect(set).to.include({
        GATEWAY_SELECTOR: 'app=edge,tier=gw',
        GATEWAY_AGENT_PORT: '9000',
        CONFIG_FILE: '/etc/gw/config.yaml',
        NODE_OPTIONS: '--max-semi-space-size=2',
      });
    });

    it('object store: s3:// with keys from a Secret and a private CA; file:// with its volume', async () => {
      const container = (objects: KubeObject[]) =>
        only(objects, 'Deployment').spec!.template.spec!.containers[0]!;
      const s3 = await template(
        'gw-ns',
        '--set',
        'objectStore.url=s3://archive/gateway-worker,objectStore.s3.endpoint=https://minio.storage:9000,objectStore.s3.forcePathStyle=true,objectStore.s3.existingSecret=s3-keys,objectStore.s3.caSecret=s3-ca',
      );
      const env = new Map(container(s3).env!.map((e) => [e.name, e]));
      expect(env.get('OBJECT_STORE_URL')?.value).to.equal('s3://archive/gateway-worker');
      expect(env.get('S3_ENDPOINT')?.value).to.equal('https://minio.storage:9000');
      expect(env.get('S3_REGION')?.value).to.equal('us-east-1');
      expect(env.get('S3_FORCE_PATH_STYLE')?.value).to.equal('true');
      // Credentials come from the Secret, never as values in the Deployment.
      expect(env.get('S3_ACCESS_KEY_ID')?.valueFrom?.secretKeyRef).to.deep.equal({
        name: 's3-keys',
        key: 'accessKeyId',
      });
      expect(env.get('S3_SECRET_ACCESS_KEY')?.valueFrom?.secretKeyRef).to.deep.equal({
        name: 's3-keys',
        key: 'secretAccessKey',
      });
      expect(env.get('S3_SECRET_ACCESS_KEY')?.value).to.equal(undefined);
      expect(env.get('S3_CA_FILE')?.value).to.equal('/etc/gateway-worker/s3-ca/ca.crt');
      expect(container(s3).volumeMounts).to.deep.include({
        name: 's3-ca',
        mountPath: '/etc/gateway-worker/s3-ca',
        readOnly: true,
      });
      const s3Volumes = only(s3, 'Deployment').spec!.template.spec!.volumes!;
      expect(s3Volumes.find((v) => v.name === 's3-ca')?.secret).to.deep.include({ secretName: 's3-ca' });

      const withoutKeys = new Map(
        container(await template('gw-ns', '--set', 'objectStore.url=s3://archive')).env!.map((e) => [
          e.name,
          e,
        ]),
      );
      expect(withoutKeys.has('S3_ACCESS_KEY_ID'), 'the SDK default chain (IRSA)').to.equal(false);

      const file = await template(
        'gw-ns',
        '--set',
        'objectStore.url=file:///var/lib/gateway-worker/archive,objectStore.existingClaim=archive',
      );
      expect(container(file).volumeMounts).to.deep.include({
        name: 'object-store',
        mountPath: '/var/lib/gateway-worker/archive',
      });
      const volumes = only(file, 'Deployment').spec!.template.spec!.volumes!;
      expect(volumes.find((v) => v.name === 'object-store')?.persistentVolumeClaim?.claimName).to.equal(
        'archive',
      );
      expect(new Map(container(file).env!.map((e) => [e.name, e.value])).has('S3_REGION')).to.equal(false);

      const noClaim = await tools.helm([
        'template',
        'gateway-worker',
        CHART_DIR,
        '--set',
        'objectStore.url=file:///data/archive',
      ]);
      expect(noClaim.code).not.to.equal(0);
      expect(noClaim.stderr).to.include(
        'objectStore.url file:///data/archive needs objectStore.existingClaim: a PersistentVolumeClaim to mount at /data/archive',
      );
    });

    it('one replica renders no PodDisruptionBudget (it would block every drain)', async () => {
      const objects = await template('gw-ns', '--set', 'replicaCount=1');
      expect(kinds(objects)).not.to.include('PodDisruptionBudget');
    });

    it('database.url: a Secret for DATABASE_URL, TLS settings, the CA mounted, two replicas with a PDB, no data volume', async () => {
      const objects = await template(
        'gw-ns',
        '--set',
        'replicaCount=2,database.url=postgres://gw:pw@db.internal:5432/gateway,database.sslmode=verify-full',
        '--set',
        'database.caSecret=db-ca,database.poolSize=20,database.schema=gw_prod',
      );
      expect(kinds(objects)).to.include.members(['Secret', 'PodDisruptionBudget']);
      expect(kinds(objects)).not.to.include('PersistentVolumeClaim');
      const secret = objects.find((o) => o.kind === 'Secret') as KubeObject & {
        stringData: Record<string, string>;
      };
      expect(secret.stringData).to.deep.equal({ url: 'postgres://gw:pw@db.internal:5432/gateway' });
      const deployment = only(objects, 'Deployment');
      expect(deployment.spec?.replicas).to.equal(2);
      expect(deployment.spec?.strategy).to.equal(undefined);
      const pdb = only(objects, 'PodDisruptionBudget');
      expect(pdb.spec?.minAvailable).to.equal(1);
      expect(pdb.spec?.selector?.matchLabels).to.deep.equal(deployment.spec!.selector.matchLabels);
      const container = deployment.spec!.template.spec!.containers[0]!;
      const env = new Map(container.env!.map((e) => [e.name, e]));
      expect(env.get('DATABASE_URL')?.value, 'the password never sits in the Pod spec').to.equal(undefined);
      expect(env.get('DATABASE_URL')?.valueFrom?.secretKeyRef).to.deep.equal({
        name: secret.metadata.name,
        key: 'url',
      });
      expect(env.get('DATABASE_SSLMODE')?.value).to.equal('verify-full');
      expect(env.get('DATABASE_CA_FILE')?.value).to.equal('/etc/gateway-worker/database-ca/ca.crt');
      expect(env.get('DATABASE_POOL_SIZE')?.value).to.equal('20');
      expect(env.get('DATABASE_SCHEMA')?.value).to.equal('gw_prod');
      expect(env.has('EMBEDDED_DATA_DIR')).to.equal(false);
      expect(container.volumeMounts?.map((m) => m.name)).to.deep.equal(['tmp', 'database-ca']);
      const ca = deployment.spec!.template.spec!.volumes!.find((v) => v.name === 'database-ca');
      expect(ca?.secret).to.deep.include({ secretName: 'db-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] });
    });

    it('database.existingSecret: DATABASE_URL from the named Secret and key, and no Secret of its own', async () => {
      const objects = await template(
        'gw-ns',
        '--set',
        'replicaCount=3,database.existingSecret=gw-db,database.existingSecretKey=DATABASE_URL',
      );
      expect(kinds(objects)).not.to.include('Secret');
      const container = only(objects, 'Deployment').spec!.template.spec!.containers[0]!;
      const url = container.env!.find((e) => e.name === 'DATABASE_URL');
      expect(url?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'gw-db', key: 'DATABASE_URL' });
    });

    it('the embedded store on an emptyDir when persistence is off', async () => {
      const objects = await template('gw-ns', '--set', 'database.embedded.persistence.enabled=false');
      expect(kinds(objects)).not.to.include('PersistentVolumeClaim');
      const data = only(objects, 'Deployment').spec!.template.spec!.volumes!.find((v) => v.name === 'data');
      expect(data?.emptyDir).to.deep.equal({ sizeLimit: '1Gi' });
    });

    it('refuses more than one replica on the embedded store, and says to set a database', async () => {
      const result = await tools.helm(['template', 'gateway-worker', CHART_DIR, '--set', 'replicaCount=2']);
      expect(result.code).not.to.equal(0);
      expect(result.stderr).to.include(
        'replicaCount=2 needs PostgreSQL: the embedded store (the default when database.url and database.existingSecret are empty) serves one replica only. Set database.url or database.existingSecret, or replicaCount=1 (see docs/storage.md)',
      );
    });

    it('optional NetworkPolicy and ServiceMonitor', async () => {
      const objects = await template(
        'gw-ns',
        '--set',
        'networkPolicy.enabled=true,serviceMonitor.enabled=true,serviceMonitor.labels.release=prom',
        '--set-json',
        'networkPolicy.grpcFrom=[{"podSelector":{"matchLabels":{"app":"gateway"}}}]',
      );
      const policy = only(objects, 'NetworkPolicy');
      expect(policy.spec.policyTypes).to.deep.equal(['Ingress']);
      expect(policy.spec.ingress.map((rule) => rule.ports[0]?.port)).to.deep.equal(['grpc', 'http']);
      expect(policy.spec.ingress[0]?.from).to.deep.equal([
        { podSelector: { matchLabels: { app: 'gateway' } } },
      ]);
      expect(policy.spec.ingress[1]?.from, 'metrics open to every source by default').to.equal(undefined);
      const monitor = only(objects, 'ServiceMonitor');
      expect(monitor.apiVersion).to.equal('monitoring.coreos.com/v1');
      expect(monitor.metadata.labels?.release).to.equal('prom');
      expect(monitor.spec.endpoints).to.deep.equal([
        { port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
      ]);

      const defaults = kinds(await template('gw-ns'));
      expect(defaults).not.to.include('NetworkPolicy');
      expect(defaults).not.to.include('ServiceMonitor');
    });

    const badValues: [string, string[], RegExp][] = [
      ['an unknown top-level key', ['--set', 'replicas=3'], /additional properties 'replicas' not allowed/],
      [
        'an unknown nested key',
        ['--set', 'image.tagg=1.0'],
        /image.*additional properties 'tagg' not allowed/,
      ],
      ['a misspelled toggle', ['--set', 'networkPolicy.enable=true'], /networkPolicy.*'enable' not allowed/],
      ['zero replicas', ['--set', 'replicaCount=0'], /replicaCount/],
      ['an unknown log level', ['--set', 'logLevel=verbose'], /logLevel/],
      ['too many queue workers', ['--set', 'queueWorkers=101'], /queueWorkers/],
      ['a namespace that is not a DNS label', ['--set', 'watchNamespaces={Team_A}'], /watchNamespaces\/0/],
      ['a port out of range', ['--set', 'ports.http=70000'], /ports\/http/],
      ['a bad digest', ['--set', 'image.digest=latest'], /image\/digest/],
      ['a bad gateway selector', ['--set', 'gateways.selector=not a selector'], /gateways\/selector/],
      ['an object store of another scheme', ['--set', 'objectStore.url=gs://bucket'], /objectStore\/url/],
      [
        'an S3 endpoint without a scheme',
        ['--set', 'objectStore.s3.endpoint=minio:9000'],
        /objectStore\/s3\/endpoint/,
      ],
      ['a database URL of another scheme', ['--set', 'database.url=mysql://db/gw'], /database\/url/],
      ['an sslmode node-postgres lacks', ['--set', 'database.sslmode=prefer'], /database\/sslmode/],
      ['a schema name that needs quoting', ['--set', 'database.schema=Gateway-Worker'], /database\/schema/],
    ];
    for (const [what, flags, message] of badValues) {
      it(`values.schema.json rejects ${what}`, async () => {
        const result = await tools.helm(['template', 'gateway-worker', CHART_DIR, ...flags]);
        expect(result.code).not.to.equal(0);
        expect(result.stderr).to.match(message);
      });
    }
  });

  describe('on the API server', () => {
    it('helm template | kubectl apply --dry-run=server succeeds, within the restricted Pod Security Standard', async () => {
      const namespace = uniqueName('helm-template');
      await tools.ensureNamespaces([namespace], { 'pod-security.kubernetes.io/warn': 'restricted' });
      const rendered = succeeded(
        await tools.helm([
          'template',
          'gateway-worker',
          CHART_DIR,
          '--namespace',
          namespace,
          '--include-crds',
        ]),
        'helm template',
      );
      const result = await tools.kubectl(['apply', '--dry-run=server', '-f', '-'], rendered);
      const out = succeeded(result, 'kubectl apply --dry-run=server');
      expect(out).to.include('deployment.apps/gateway-worker created (server dry run)');
      expect(out).to.include('clusterrole.rbac.authorization.k8s.io/gateway-worker created (server dry run)');
      expect(result.stderr).not.to.include('PodSecurity');

      const optional = succeeded(
        await tools.helm([
          'template',
          'gateway-worker',
          CHART_DIR,
          '--namespace',
          namespace,
          '--set',
          'networkPolicy.enabled=true,watchNamespaces={' + namespace + '}',
        ]),
        'helm template',
      );
      const withPolicy = succeeded(
        await tools.kubectl(['apply', '--dry-run=server', '-f', '-'], optional),
        'kubectl apply --dry-run=server',
      );
      expect(withPolicy).to.include(
        'networkpolicy.networking.k8s.io/gateway-worker created (server dry run)',
      );
    });

    it('kubectl apply -f manifests/install.yaml --dry-run=server succeeds', async () => {
      // A server-side dry run does not create the Namespace the other objects go into.
      await tools.ensureNamespaces(['gateway-worker-system']);
      const out = succeeded(
        await tools.kubectl(['apply', '--dry-run=server', '-f', INSTALL_MANIFEST]),
        'kubectl apply -f manifests/install.yaml',
      );
      for (const expected of [
        'namespace/gateway-worker-system',
        'customresourcedefinition.apiextensions.k8s.io/certificates.gateway.awesomeapi.com.br',
        'deployment.apps/gateway-worker',
        'persistentvolumeclaim/gateway-worker-data',
        'serviceaccount/gateway-worker',
        'rolebinding.rbac.authorization.k8s.io/gateway-worker-leader-election',
      ]) {
        expect(out).to.include(expected);
      }
    });

    it('helm install succeeds, prints how to check it, and kubectl get gateway-worker lists our kinds', async () => {
      const namespace = uniqueName('helm-install');
      const release = uniqueName('gwi');
      // No kubelet runs the pods here, so nothing waits for them.
      const installed = succeeded(
        await tools.helm(['install', release, CHART_DIR, '--namespace', namespace, '--create-namespace']),
        'helm install',
      );
      expect(installed).to.include('STATUS: deployed');
      expect(installed).to.include('kubectl get gateway-worker -A');
      expect(installed).to.include(`kubectl -n ${namespace} get pods`);

      const deployment = JSON.parse(
        succeeded(
          await tools.kubectl([
            '-n',
            namespace,
            'get',
            'deployment',
            '-o',
            'json',
            '-l',
            `app.kubernetes.io/instance=${release}`,
          ]),
          'get deployment',
        ),
      ) as { items: V1Deployment[] };
      expect(deployment.items.map((d) => d.spec?.replicas)).to.deep.equal([1]);

      succeeded(
        await tools.kubectl(['apply', '-n', namespace, '-f', EXAMPLES_DIR]),
        'kubectl apply examples',
      );
      const listed = succeeded(
        await tools.kubectl(['get', 'gateway-worker', '-A']),
        'kubectl get gateway-worker -A',
      );
      const ours = listed.split('\n').filter((line) => line.startsWith(`${namespace} `));
      expect(ours.join('\n')).to.match(/certificate\.gateway\.awesomeapi\.com\.br\//);
      expect(ours.join('\n')).to.match(/wafruleset\.gateway\.awesomeapi\.com\.br\//);
      expect(ours.join('\n')).to.match(/routeconfig\.gateway\.awesomeapi\.com\.br\//);

      const status = succeeded(
        await tools.helm(['status', release, '--namespace', namespace]),
        'helm status',
      );
      expect(status).to.include('STATUS: deployed');
    });
  });
});
