/**
 * What the agent does with one pushed type: check a complete state, all resources at once, and
 * hand back either every problem (the update is NACKed and nothing changes) or the one write
 * that puts the state in service. Implementations sit beside this file (config-writer-*.ts);
 * config-writers.ts binds one to each SyncConfig type of the registry.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import type { Resource } from '../generated/gateway/worker/v1/resources.js';
import type { ChallengeTable } from './acme-challenges.js';
import type { IpListsFile } from './ip-lists-file.js';

export type Checked = { readonly errors: ResourceError[] } | { readonly write: () => Promise<void> };

export interface ConfigWriter {
  /**
   * After a restart, the version of the state the type left on disk (its last good one), or
   * undefined when it keeps nothing there or finds nothing of its own.
   */
  loadVersion?(): Promise<string | undefined>;
  /** Checks `resources`, the complete state at `version`; the write must not fail on their content. */
  check(version: string, resources: readonly Resource[]): Checked;
}

/**
 * What a writer may use: the agent's folder, the table its HTTP server answers challenges from,
 * and waf-ip-lists.yaml, which two types (waf, ip-deny) write parts of.
 */
export interface WriterContext {
  readonly dir: string;
  readonly challenges: ChallengeTable;
  readonly ipLists: IpListsFile;
}

export type ConfigWriterFactory = (context: WriterContext) => ConfigWriter;

/** `parse` of every resource, the failures collected per resource name, so one NACK lists them all. */
export function parseEach<T>(
  resources: readonly Resource[],
  parse: (resource: Resource) => T,
  errors: ResourceError[],
): { readonly resource: string; readonly value: T }[] {
  return resources.flatMap((r) => {
    try {
      return [{ resource: r.name, value: parse(r) }];
    } catch (error) {
      errors.push({ name: r.name, message: (error as Error).message });
      return [];
    }
  });
}

/** The top-level `version` of a YAML file this agent wrote, if the file is there and ours. */
export async function versionInYamlFile(path: string): Promise<string | undefined> {
  try {
    const version: unknown = (parse(await readFile(path, 'utf8')) as { version?: unknown } | null)?.version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}
