/**
 * The migration files of a DatabaseMigration: every key of its ConfigMaps, read from the API when
 * the job runs (or from a folder, for `gateway-worker db plan --dir`). A missing ConfigMap stops
 * the run: applying part of the files would be worse than applying none.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from '../../domain/dbops/index.js';
import { CoreTypes, type ConfigMap } from '../../runtime/kube/resource.js';
import { OperationError } from '../operation-error.js';
import { readResource, type ResourceReader } from '../resources.js';

export async function configMapFiles(
  kube: ResourceReader,
  namespace: string,
  names: readonly string[],
): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const configMap = await readResource<ConfigMap>(kube, CoreTypes.configMap, namespace, name);
    if (!configMap) {
      missing.push(name);
      continue;
    }
    for (const [key, content] of Object.entries(configMap.data ?? {}))
      files.push({ name: key, content, source: `configmap/${name}` });
  }
  if (missing.length > 0)
    throw new OperationError(
      'ConfigMapNotFound',
      `ConfigMap ${missing.join(', ')} in ${namespace} does not exist: create ${missing.length === 1 ? 'it' : 'them'} (kubectl create configmap NAME --from-file=migrations/), or fix spec.configMaps`,
      true,
    );
  return files;
}

/** The `.sql` files of a folder (not recursive). */
export function directoryFiles(dir: string): SourceFile[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.sql'))
    .map((entry) => ({
      name: entry.name,
      content: readFileSync(join(dir, entry.name), 'utf8'),
      source: dir,
    }));
}

/** A digest of the file set: names and contents, whatever their order or ConfigMap. */
export function filesDigest(files: readonly SourceFile[]): string {
  const hash = createHash('sha256');
  for (const file of [...files]
    .filter((f) => f.name.endsWith('.sql'))
    .sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(file.name).update('\0').update(file.content).update('\0');
  }
  return hash.digest('hex');
}
