/**
 * Golden files: each folder under test/fixtures/routes holds input.yaml (RouteConfigs as stored by
 * the API server, Services, EndpointSlices, and the Certificates and WafRuleSets that are ready)
 * and what comes out: expected.json.golden (conditions and payload per RouteConfig) and
 * routes.yaml.golden (the file the reference agent writes from those payloads), byte for byte —
 * hence the extension, which keeps prettier from reformatting them. `UPDATE_GOLDEN=1` rewrites them.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import type { RouteConfig } from '../api/v1alpha1/index.js';
import { RoutesYamlRenderer, parseRoutes } from './routes.js';
import { configVersion } from './versioning.js';
import { withDefaults } from '../validate/index.js';
import { compileRoutes } from '../domain/routes/compile.js';
import { serviceBackends } from '../domain/routes/kubernetes-backends.js';
import type { CompileInput, RouteConfigResult } from '../domain/routes/types.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/routes/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

interface Manifest {
  kind?: string;
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string; generation?: number };
}

function loadInput(text: string): CompileInput {
  const docs = parseAllDocuments(text).map((d) => d.toJS() as Manifest);
  const key = (m: Manifest) => `${m.metadata?.namespace ?? ''}/${m.metadata?.name ?? ''}`;
  const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
  return {
    routeConfigs: ofKind('RouteConfig').map((doc) => {
      const stored = withDefaults(doc) as RouteConfig;
      return {
        namespace: doc.metadata?.namespace ?? '',
        name: doc.metadata?.name ?? '',
        creationTimestamp: doc.metadata?.creationTimestamp ?? '',
        generation: doc.metadata?.generation ?? 1,
        spec: stored.spec,
      };
    }),
    services: serviceBackends(ofKind('Service'), ofKind('EndpointSlice')),
    certificates: new Set(ofKind('Certificate').map(key)),
    wafRuleSets: new Map(ofKind('WafRuleSet').map((m) => [key(m), key(m)])),
  };
}

function expectedJson(results: ReadonlyMap<string, RouteConfigResult>): string {
  const model = Object.fromEntries(
    [...results].map(([key, r]) => [
      key,
      {
        resourceName: r.resourceName,
        accepted: r.accepted,
        resolvedRefs: r.resolvedRefs,
        valid: r.valid,
        problems: r.problems,
        conflicts: r.conflicts,
        unresolved: r.unresolved,
        warnings: r.warnings,
        routesShipped: r.routesShipped,
        routesTotal: r.routesTotal,
        references: r.references,
        hash: r.hash,
        payload: JSON.parse(new TextDecoder().decode(r.payload)) as unknown,
      },
    ]),
  );
  return `${JSON.stringify(model, null, 2)}\n`;
}

function routesYaml(results: ReadonlyMap<string, RouteConfigResult>): string {
  const resources = [...results.values()].map((r) => ({
    name: r.resourceName,
    version: r.hash,
    payload: r.payload,
  }));
  const configs = resources.map((r) => ({
    resource: r.name,
    // The agent's own check of a routes payload, as it runs on every update.
    config: parseRoutes(JSON.parse(new TextDecoder().decode(r.payload))),
  }));
  return new RoutesYamlRenderer().render(configVersion(resources), configs);
}

function golden(file: string, actual: string): void {
  if (update) writeFileSync(file, actual);
  expect(actual).to.equal(readFileSync(file, 'utf8'));
}

describe('route compiler: golden files', () => {
  for (const name of readdirSync(FIXTURES).sort()) {
    const dir = join(FIXTURES, name);
    describe(name, () => {
      const input = loadInput(readFileSync(join(dir, 'input.yaml'), 'utf8'));
      const results = compileRoutes(input);

      it('compiles to the expected conditions and payloads', () => {
        golden(join(dir, 'expected.json.golden'), expectedJson(results));
      });

      it("renders the agent's routes.yaml from the payloads", () => {
        golden(join(dir, 'routes.yaml.golden'), routesYaml(results));
      });

      it('writes each payload as canonical JSON: compact, and hashed as written', () => {
        for (const result of results.values()) {
          const text = new TextDecoder().decode(result.payload);
          expect(JSON.stringify(JSON.parse(text))).to.equal(text);
        }
      });
    });
  }
});
