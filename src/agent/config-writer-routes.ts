/**
 * ROUTES: every RouteConfig payload in one routes.yaml. A payload identical to one applied before
 * was checked then: its parsed object is reused, and so is its rendering.
 */
import { join } from 'node:path';
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import { writeFileAtomic } from './atomic-file.js';
import { parseEach, versionInYamlFile, type ConfigWriterFactory } from './config-writer.js';
import { parseJson, type JsonObject } from './json-checks.js';
import { RoutesYamlRenderer, parseRoutes, type NamedRoutes } from './routes.js';

export const ROUTES_FILE = 'routes.yaml';

export const routesWriter: ConfigWriterFactory = ({ dir }) => {
  const path = join(dir, ROUTES_FILE);
  const renderer = new RoutesYamlRenderer();
  let applied = new Map<string, { readonly payload: Buffer; readonly config: JsonObject }>();
  return {
    loadVersion: () => versionInYamlFile(path),
    check(version, resources) {
      const errors: ResourceError[] = [];
      const parsed = new Map<string, { payload: Buffer; config: JsonObject }>();
      const configs: NamedRoutes[] = parseEach(
        resources,
        (r) => {
          const before = applied.get(r.name);
          const config = before?.payload.equals(r.payload)
            ? before.config
            : parseRoutes(parseJson(r.payload));
          parsed.set(r.name, { payload: r.payload, config });
          return config;
        },
        errors,
      ).map((c) => ({ resource: c.resource, config: c.value }));
      if (errors.length > 0) return { errors };
      return {
        write: async () => {
          await writeFileAtomic(path, renderer.render(version, configs), 0o644);
          applied = parsed;
        },
      };
    },
  };
};
