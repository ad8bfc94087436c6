import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { WATCH_RULES_TEMPLATE, renderWatchRulesTemplate, watchRules } from '../../scripts/render-rbac.js';
import { GROUP, KINDS } from '../../src/api/v1alpha1/index.js';
import { PUSHED_TYPES } from '../../src/domain/snapshot/pushed-types.js';

describe("the chart's RBAC rules, generated from the kinds and the pushed types", () => {
  it('are what the chart ships (run npm run manifests when this fails)', () => {
    expect(
      readFileSync(WATCH_RULES_TEMPLATE, 'utf8'),
      'helm/gateway-worker/templates/_watch-rules.tpl is stale: run npm run manifests',
    ).to.equal(renderWatchRulesTemplate());
  });

  it('grant every kind, its status and finalizers, but never create or delete them', () => {
    const ours = watchRules().filter((r) => r.apiGroups.includes(GROUP));
    for (const { plural } of KINDS) {
      for (const resource of [plural, `${plural}/status`, `${plural}/finalizers`]) {
        expect(
          ours.some((r) => r.resources.includes(resource)),
          resource,
        ).to.equal(true);
      }
    }
    for (const rule of ours) {
      expect(rule.verbs).to.not.include('create');
      expect(rule.verbs).to.not.include('delete');
    }
  });

  it('grant each verb every pushed type asks for, on the resource it names', () => {
    const rules = watchRules();
    for (const type of PUSHED_TYPES) {
      for (const need of type.rbac) {
        for (const resource of need.resources) {
          const granted = rules
            .filter((r) => r.apiGroups.includes(need.apiGroup) && r.resources.includes(resource))
            .flatMap((r) => r.verbs);
          expect(granted, `${type.name}: ${resource}`).to.include.members([...need.verbs]);
        }
      }
    }
  });

  it('hold one rule per API group and verb set, in a template Helm reads as YAML', () => {
    const rules = watchRules();
    const keys = rules.map((r) => JSON.stringify([r.apiGroups, r.verbs]));
    expect(new Set(keys).size).to.equal(keys.length);
    const body = renderWatchRulesTemplate().split('-}}\n')[1]?.split('{{- end }}')[0] ?? '';
    expect(parse(body)).to.deep.equal(rules);
  });
});
