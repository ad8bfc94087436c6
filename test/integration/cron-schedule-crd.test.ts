/**
 * The reusable schedule fields (src/api/v1alpha1/schedule.ts) on a throwaway CRD, since no kind
 * of ours has a schedule yet: the real API server refuses a cron expression that does not parse,
 * and the offline validator refuses the same ones (and what only croner can see).
 */
import { expect } from 'chai';
import { cronSchedule, timeZone } from '../../src/api/v1alpha1/schedule.js';
import { defaulted, object, required, type Node } from '../../src/api/v1alpha1/schema/builder.js';
import { installCrds, type CrdObject } from '../../src/envtest/crds.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { CoreTypes, type KubeObject, type ResourceType } from '../../src/runtime/kube/resource.js';
import { checkRules } from '../../src/validate/rule-check.js';
import { checkSchema } from '../../src/validate/schema-check.js';
import { sharedCluster, uniqueName } from '../support/shared-cluster.js';

const GROUP = 'test.gateway-worker.dev';
const spec = object('A scheduled thing.', {
  schedule: required(cronSchedule('When it runs.')),
  timeZone: defaulted(timeZone('The zone the schedule is read in.'), 'UTC'),
});
const root: Node = object('A test-only kind with a schedule.', {
  apiVersion: { json: { type: 'string' }, presence: 'optional', rules: [] },
  kind: { json: { type: 'string' }, presence: 'optional', rules: [] },
  metadata: { json: { type: 'object' }, presence: 'optional', rules: [] },
  spec: required(spec),
});
const CRONTAB: ResourceType = {
  group: GROUP,
  version: 'v1',
  plural: 'crontabs',
  kind: 'CronTab',
  namespaced: true,
};
const crd: CrdObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `crontabs.${GROUP}` },
  spec: {
    group: GROUP,
    scope: 'Namespaced',
    names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: root.json } }],
  },
} as unknown as CrdObject;

function offlineProblems(schedule: string, zone?: string): string[] {
  const document = {
    apiVersion: `${GROUP}/v1`,
    kind: 'CronTab',
    metadata: { name: 'x' },
    spec: { schedule, ...(zone === undefined ? {} : { timeZone: zone }) },
  };
  const structural = checkSchema(root.json, document, 1);
  return [...structural, ...checkRules(root, document, 1, structural)].map((p) => `${p.path}: ${p.message}`);
}

describe('schedule fields on a CRD (real API server and offline)', function () {
  this.timeout(90_000);
  let client: KubeClient;
  let namespace: string;

  before(async () => {
    const cluster = await sharedCluster();
    await installCrds(cluster.kubeConfig, [crd]);
    client = new KubeClient(cluster.kubeConfig);
    namespace = uniqueName('cron');
    await client.create(CoreTypes.namespace, { metadata: { name: namespace } });
  });
  after(() => client.close());

  const apply = async (name: string, schedule: string, zone?: string): Promise<string | undefined> => {
    const object: KubeObject = {
      apiVersion: `${GROUP}/v1`,
      kind: 'CronTab',
      metadata: { name, namespace },
      spec: { schedule, ...(zone === undefined ? {} : { timeZone: zone }) },
    };
    try {
      await client.create(CRONTAB, object);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  };

  it('accepts valid expressions on the server and offline', async () => {
    for (const [i, schedule] of ['0 3 * * *', '*/15 * * * 1-5', '@daily'].entries()) {
      expect(await apply(`ok-${i}`, schedule, 'America/Sao_Paulo'), schedule).to.equal(undefined);
      expect(offlineProblems(schedule, 'America/Sao_Paulo'), schedule).to.deep.equal([]);
    }
  });

  for (const schedule of ['61 * * * *', 'every day', '* * * *', '0 0 * * * *']) {
    it(`refuses "${schedule}" at admission and offline, with the same message`, async () => {
      const refusal = await apply(uniqueName('bad').slice(0, 40), schedule);
      expect(refusal).to.include('spec.schedule');
      expect(refusal).to.include('must be a cron expression of five fields');
      expect(offlineProblems(schedule)).to.have.length(1);
      expect(offlineProblems(schedule)[0]).to.match(
        /^spec\.schedule: .*must be a cron expression of five fields/,
      );
    });
  }

  it('refuses a bad time zone shape at admission, and an unknown zone offline', async () => {
    expect(await apply('tz-shape', '0 3 * * *', '../etc/passwd')).to.include(
      'must be an IANA time zone name',
    );
    expect(offlineProblems('0 3 * * *', 'Mars/Olympus')[0]).to.match(
      /^spec\.timeZone: .*not a time zone this runtime knows/,
    );
  });

  it('refuses offline what the pattern lets through: a backwards range, a date that never comes', () => {
    expect(offlineProblems('30-10 * * * *')[0]).to.match(
      /^spec\.schedule: .*From value is larger than to value/,
    );
    expect(offlineProblems('0 0 30 2 *')).to.deep.equal([
      'spec.schedule: never runs: "0 0 30 2 *" names no date that exists',
    ]);
  });
});
