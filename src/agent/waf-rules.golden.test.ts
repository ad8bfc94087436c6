/**
 * Golden files: WafRuleSet manifests in test/fixtures/waf/golden/<case>/ go through the whole
 * path — validation, compilation, the rule sets' own tests, the pushed payloads, the agent's
 * merge — and what comes out (compiled.json, waf-rules.yaml, waf-ip-lists.yaml) must match the
 * files beside them byte for byte. UPDATE_GOLDEN=1 rewrites the outputs after a deliberate change.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { GATEWAY_RULES_FILE, WAF_FIXTURES } from '../../test/fixtures/waf/paths.js';
import {
  compileRuleSet,
  importGatewayRuleFile,
  isCompiled,
  runTests,
  wafResourceName,
  type CompiledRuleSet,
  type WafRuleSetSpecInput,
} from '../domain/waf/index.js';
import { readDocuments } from '../validate/documents.js';
import { configVersion, payloadVersion } from './versioning.js';
import { WAF_IP_LISTS_FILE, WAF_RULES_FILE, buildWafFiles } from './waf-rules.js';

const GOLDEN = join(WAF_FIXTURES, 'golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

function golden(path: string, actual: string): void {
  if (UPDATE) {
    writeFileSync(path, actual);
    return;
  }
  expect(actual, `${path} (run with UPDATE_GOLDEN=1 to rewrite it after a deliberate change)`).to.equal(
    readFileSync(path, 'utf8'),
  );
}

/** The import of the gateway's own file, as `gateway-worker waf import` writes it (without its comment). */
export function importedReference(): string {
  const { manifest } = importGatewayRuleFile(readFileSync(GATEWAY_RULES_FILE, 'utf8'), {
    name: 'gateway-rules',
    namespace: 'edge',
  });
  return stringify(manifest, { lineWidth: 0, version: '1.1' });
}

function compileAll(text: string): CompiledRuleSet[] {
  return readDocuments(text).map((doc) => {
    const obj = doc.value as { metadata: { name: string; namespace: string }; spec: WafRuleSetSpecInput };
    const result = compileRuleSet({
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
      spec: obj.spec,
    });
    if (!isCompiled(result)) throw new Error(`${obj.metadata.name}: ${JSON.stringify(result.problems)}`);
    expect(runTests(result, obj.spec.tests ?? []), `tests of ${obj.metadata.name}`).to.deep.equal([]);
    return result;
  });
}

describe('WAF golden files', () => {
  for (const name of readdirSync(GOLDEN).sort()) {
    it(`${name}: manifests compile and the agent writes the expected files`, () => {
      const dir = join(GOLDEN, name);
      if (name === 'gateway-reference') golden(join(dir, 'manifests.yaml'), importedReference());
      const compiled = compileAll(readFileSync(join(dir, 'manifests.yaml'), 'utf8'));
      const resources = compiled.map((c) => {
        const [namespace = '', setName = ''] = c.name.split('/');
        return {
          name: wafResourceName(namespace, setName, c.priority),
          version: payloadVersion(c.payload),
          payload: c.payload,
        };
      });
      const summary = compiled.map((c, i) => ({
        resource: resources[i]?.name,
        hash: c.hash,
        ruleCount: c.ruleCount,
        payload: JSON.parse(new TextDecoder().decode(c.payload)) as unknown,
      }));
      golden(join(dir, 'compiled.json'), `${JSON.stringify(summary, null, 2)}\n`);
      const built = buildWafFiles(configVersion(resources), resources);
      if ('errors' in built) throw new Error(JSON.stringify(built.errors));
      const files = new Map(built.files.map((f) => [f.file, f.content]));
      golden(join(dir, WAF_RULES_FILE), files.get(WAF_RULES_FILE) ?? '');
      golden(join(dir, WAF_IP_LISTS_FILE), files.get(WAF_IP_LISTS_FILE) ?? '');
    });
  }
});
