/**
 * What the agent serves per configuration type and how an update replaces it, in the manner of
 * xDS: check the update's version against its content, check every resource, then apply all of
 * it or nothing. A rejected update changes nothing — files, challenges and the recorded version
 * stay those of the last good update — and the answer says why, per resource.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import { ResourceType, resourceTypeToJSON, type Resource } from '../generated/gateway/worker/v1/resources.js';
import type { Logger } from '../runtime/logger.js';
import { ChallengeTable, parseChallenge, type Challenge } from './acme-challenges.js';
import { writeFileAtomic } from './atomic-file.js';
import type { Delta } from './chunk-assembler.js';
import { parseJson, type JsonObject } from './json-checks.js';
import { RoutesYamlRenderer, parseRoutes, type NamedRoutes } from './routes.js';
import { Serial } from './serial.js';
import { configVersion } from './versioning.js';
import { WAF_RULES_FILE, buildWafFiles } from './waf-rules.js';

export { WAF_RULES_FILE };
export const ROUTES_FILE = 'routes.yaml';
const SUPPORTED: readonly ResourceType[] = [
  ResourceType.RESOURCE_TYPE_WAF_RULES,
  ResourceType.RESOURCE_TYPE_ROUTES,
  ResourceType.RESOURCE_TYPE_ACME_CHALLENGES,
];

export type ApplyResult =
  | { readonly kind: 'ack'; readonly version: string; readonly changed: boolean }
  | {
      readonly kind: 'nack';
      /** The last good version, still served. */
      readonly version: string;
      readonly message: string;
      readonly resourceErrors: readonly ResourceError[];
    };

type Checked = { errors: ResourceError[] } | { write: () => Promise<void> };

export class ConfigState {
  private readonly versions = new Map<ResourceType, string>();
  /** The resources of each type's last applied state, the base of incremental updates. */
  private readonly applied = new Map<ResourceType, ReadonlyMap<string, Resource>>();
  private readonly forced = new Map<ResourceType, string>();
  private readonly serial = new Serial();
  private readonly routesYaml = new RoutesYamlRenderer();
  private parsedRoutes = new Map<string, { readonly payload: Buffer; readonly config: JsonObject }>();
  readonly challenges = new ChallengeTable();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Versions by type name (RESOURCE_TYPE_WAF_RULES, ...), as reported to the worker. */
  appliedVersions(): Record<string, string> {
    return Object.fromEntries(
      [...this.versions].map(([type, version]) => [resourceTypeToJSON(type), version]),
    );
  }

  appliedVersion(type: ResourceType): string {
    return this.versions.get(type) ?? '';
  }

  /** Tests and the simulator: the next complete update of `type` is NACKed with `message`. */
  rejectNext(type: ResourceType, message: string): void {
    this.forced.set(type, message);
  }

  /** After a restart the files on disk are the last good state; their `version` says which. */
  async load(): Promise<void> {
    for (const [type, file] of [
      [ResourceType.RESOURCE_TYPE_WAF_RULES, WAF_RULES_FILE],
      [ResourceType.RESOURCE_TYPE_ROUTES, ROUTES_FILE],
    ] as const) {
      try {
        const version: unknown = (
          parse(await readFile(join(this.dir, file), 'utf8')) as { version?: unknown }
        ).version;
        if (typeof version === 'string') this.versions.set(type, version);
      } catch {
        // No file or not ours: nothing applied yet as far as this agent can tell.
      }
    }
  }

  /**
   * Applies the complete state of `type`, or with `delta` an incremental update merged into the
   * state this agent applied last; the result is checked as a whole either way.
   */
  apply(
    type: ResourceType,
    version: string,
    resources: readonly Resource[],
    delta?: Delta,
  ): Promise<ApplyResult> {
    return this.serial.run(() => {
      if (!delta) return this.applyNow(type, version, resources);
      const merged = this.merge(type, resources, delta);
      return typeof merged === 'string'
        ? Promise.resolve(this.nack(type, version, merged))
        : this.applyNow(type, version, merged);
    });
  }

  /** What this agent applied last of `type`, as received; empty after a restart. */
  appliedResources(type: ResourceType): readonly Resource[] {
    return [...(this.applied.get(type)?.values() ?? [])];
  }

  private merge(type: ResourceType, changed: readonly Resource[], delta: Delta): Resource[] | string {
    const base = this.applied.get(type);
    const held = this.appliedVersion(type);
    if (!base || held !== delta.baseVersion) {
      return `incremental update from version ${delta.baseVersion || '(none)'}, but this agent ${
        base ? `holds version ${held || '(none)'}` : 'has not received a complete state since it started'
      }; the complete state is needed`;
    }
    const merged = new Map(base);
    for (const name of delta.removed) merged.delete(name);
    for (const r of changed) merged.set(r.name, r);
    return [...merged.values()];
  }

  private async applyNow(
    type: ResourceType,
    version: string,
    resources: readonly Resource[],
  ): Promise<ApplyResult> {
    const typeName = resourceTypeToJSON(type);
    const nack = (message: string, resourceErrors: ResourceError[] = []): ApplyResult =>
      this.nack(type, version, message, resourceErrors);
    if (!SUPPORTED.includes(type)) return nack(`unsupported resource type ${typeName}`);
    const seen = new Set<string>();
    const duplicates = resources
      .map((r) => r.name)
      .filter((name) => {
        const again = seen.has(name);
        seen.add(name);
        return again;
      });
    if (duplicates.length > 0) {
      return nack(
        `resource names must be unique, got ${[...new Set(duplicates)].join(', ')} more than once`,
        duplicates.map((name) => ({ name, message: 'duplicate resource name' })),
      );
    }
    const computed = configVersion(resources);
    if (computed !== version) {
      return nack(
        `version ${version} does not match the content hash ${computed} of the ${resources.length} resources received`,
      );
    }
    const forced = this.forced.get(type);
    if (forced !== undefined) {
      this.forced.delete(type);
      return nack(forced);
    }
    if (version === this.appliedVersion(type)) {
      // After a restart only the version was known; now the resources are too.
      this.applied.set(type, new Map(resources.map((r) => [r.name, r])));
      return { kind: 'ack', version, changed: false };
    }
    const checked = this.check(type, version, resources);
    if ('errors' in checked) {
      const first = checked.errors[0] ?? { name: '', message: '' };
      return nack(
        `rejected ${new Set(checked.errors.map((e) => e.name)).size} of ${resources.length} resources; ${first.name}: ${first.message}`,
        checked.errors,
      );
    }
    try {
      await checked.write();
    } catch (error) {
      return nack(`could not apply ${typeName}: ${(error as Error).message}`);
    }
    this.versions.set(type, version);
    this.applied.set(type, new Map(resources.map((r) => [r.name, r])));
    this.logger.info('update applied', { type: typeName, version, resources: resources.length });
    return { kind: 'ack', version, changed: true };
  }

  private nack(
    type: ResourceType,
    version: string,
    message: string,
    resourceErrors: ResourceError[] = [],
  ): ApplyResult {
    const lastGood = this.appliedVersion(type);
    this.logger.warn('update rejected', {
      type: resourceTypeToJSON(type),
      version,
      keeping: lastGood,
      reason: message,
    });
    return { kind: 'nack', version: lastGood, message, resourceErrors };
  }

  /** All resources checked, so one NACK lists every problem, not just the first. */
  private check(type: ResourceType, version: string, resources: readonly Resource[]): Checked {
    const errors: ResourceError[] = [];
    const each = <T>(parse: (resource: Resource) => T): { resource: string; value: T }[] =>
      resources.flatMap((r) => {
        try {
          return [{ resource: r.name, value: parse(r) }];
        } catch (error) {
          errors.push({ name: r.name, message: (error as Error).message });
          return [];
        }
      });
    switch (type) {
      case ResourceType.RESOURCE_TYPE_WAF_RULES: {
        const built = buildWafFiles(version, resources);
        if ('errors' in built) return built;
        const write = async (): Promise<void> => {
          for (const { file, content } of built.files)
            await writeFileAtomic(join(this.dir, file), content, 0o644);
        };
        return { write };
      }
      case ResourceType.RESOURCE_TYPE_ROUTES: {
        // A payload identical to one applied before was checked then: its parsed object is
        // reused, and so is its rendering.
        const parsed = new Map<string, { payload: Buffer; config: JsonObject }>();
        const known = this.parsedRoutes;
        const configs: NamedRoutes[] = each((r) => {
          const before = known.get(r.name);
          const config = before?.payload.equals(r.payload)
            ? before.config
            : parseRoutes(parseJson(r.payload));
          parsed.set(r.name, { payload: r.payload, config });
          return config;
        }).map((c) => ({ resource: c.resource, config: c.value }));
        const path = join(this.dir, ROUTES_FILE);
        return errors.length > 0
          ? { errors }
          : {
              write: async () => {
                await writeFileAtomic(path, this.routesYaml.render(version, configs), 0o644);
                this.parsedRoutes = parsed;
              },
            };
      }
      case ResourceType.RESOURCE_TYPE_ACME_CHALLENGES: {
        const parsed = each((r) => parseChallenge(parseJson(r.payload)));
        const owner = new Map<string, string>();
        for (const { resource, value } of parsed) {
          const first = owner.get(value.token);
          if (first !== undefined)
            errors.push({ name: resource, message: `token ${value.token} is also in ${first}` });
          else owner.set(value.token, resource);
        }
        const challenges: Challenge[] = parsed.map((c) => c.value);
        const replace = (): Promise<void> => {
          this.challenges.replace(challenges);
          return Promise.resolve();
        };
        return errors.length > 0 ? { errors } : { write: replace };
      }
      default:
        return { errors: [{ name: '', message: `unsupported resource type ${resourceTypeToJSON(type)}` }] };
    }
  }
}
