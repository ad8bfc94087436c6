/**
 * What the agent serves per configuration type and how an update replaces it, in the manner of
 * xDS: check the update's version against its content, check every resource, then apply all of
 * it or nothing. A rejected update changes nothing — files, challenges and the recorded version
 * stay those of the last good update — and the answer says why, per resource.
 */
import { SYNCED_TYPES } from '../domain/snapshot/pushed-types.js';
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import { ResourceType, resourceTypeToJSON, type Resource } from '../generated/gateway/worker/v1/resources.js';
import type { Logger } from '../runtime/logger.js';
import { ChallengeTable } from './acme-challenges.js';
import type { Delta } from './chunk-assembler.js';
import type { ConfigWriter } from './config-writer.js';
import { CONFIG_WRITERS } from './config-writers.js';
import { IpListsFile } from './ip-lists-file.js';
import { Serial } from './serial.js';
import { configVersion } from './versioning.js';
import { WAF_RULES_FILE } from './waf-rules.js';

export { WAF_RULES_FILE };
export { ROUTES_FILE } from './config-writer-routes.js';

export type ApplyResult =
  | { readonly kind: 'ack'; readonly version: string; readonly changed: boolean }
  | {
      readonly kind: 'nack';
      /** The last good version, still served. */
      readonly version: string;
      readonly message: string;
      readonly resourceErrors: readonly ResourceError[];
    };

export class ConfigState {
  private readonly versions = new Map<ResourceType, string>();
  /** The resources of each type's last applied state, the base of incremental updates. */
  private readonly applied = new Map<ResourceType, ReadonlyMap<string, Resource>>();
  private readonly forced = new Map<ResourceType, string>();
  private readonly serial = new Serial();
  readonly challenges = new ChallengeTable();
  /** One writer per registered SyncConfig type; any other type is refused. */
  private readonly writers: ReadonlyMap<ResourceType, ConfigWriter>;

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    const context = { dir, challenges: this.challenges, ipLists: new IpListsFile(dir, logger) };
    this.writers = new Map(
      SYNCED_TYPES.map((t) => [ResourceType[t.proto], CONFIG_WRITERS[t.name](context)] as const),
    );
  }

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
    for (const [type, writer] of this.writers) {
      const version = await writer.loadVersion?.();
      if (version !== undefined) this.versions.set(type, version);
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
    const writer = this.writers.get(type);
    if (!writer) return nack(`unsupported resource type ${typeName}`);
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
    const checked = writer.check(version, resources);
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
}
