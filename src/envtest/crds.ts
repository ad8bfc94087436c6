/** Installs CustomResourceDefinitions and waits until each is Established and discoverable. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { KubeClient } from '../runtime/kube/client.js';
import { isNotFound } from '../runtime/kube/errors.js';
import { CoreTypes, type KubeObject } from '../runtime/kube/resource.js';

export interface CrdObject extends KubeObject {
  spec: {
    group: string;
    names: { plural: string; kind: string };
    versions: { name: string; served: boolean }[];
  };
  status?: { conditions?: { type: string; status: string }[] };
}

/** Every CustomResourceDefinition in the given YAML files or folders (recursively), as plain JSON. */
export function readCrds(paths: readonly string[]): CrdObject[] {
  return paths
    .flatMap((path) => yamlFilesUnder(path))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(file, 'utf8'))
        .map((doc) => doc.toJS() as CrdObject | null)
        .filter((doc): doc is CrdObject => doc?.kind === 'CustomResourceDefinition'),
    );
}

function yamlFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) return yamlFilesUnder(full);
      return /\.ya?ml$/.test(entry) ? [full] : [];
    });
}

export async function installCrds(
  kc: KubeConfig,
  crds: readonly CrdObject[],
  timeoutMs = 30_000,
): Promise<void> {
  const client = new KubeClient(kc);
  try {
    const type = CoreTypes.customResourceDefinition;
    for (const crd of crds) {
      const name = crd.metadata.name ?? '';
      try {
        const existing = await client.get<CrdObject>(type, undefined, name);
        await client.update(type, {
          ...crd,
          metadata: { ...crd.metadata, resourceVersion: existing.metadata.resourceVersion },
        });
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await client.create(type, crd);
      }
    }
    const deadline = Date.now() + timeoutMs;
    for (const crd of crds) await waitUntilServed(client, crd, deadline);
  } finally {
    client.close();
  }
}

async function waitUntilServed(client: KubeClient, crd: CrdObject, deadline: number): Promise<void> {
  const name = crd.metadata.name ?? '';
  for (;;) {
    const current = await client.get<CrdObject>(CoreTypes.customResourceDefinition, undefined, name);
    const established = current.status?.conditions?.some(
      (c) => c.type === 'Established' && c.status === 'True',
    );
    if (established && (await discoverable(client, crd))) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established and discoverable in time`);
    await sleep(50);
  }
}

/** True when every served version lists the plural in API discovery. */
async function discoverable(client: KubeClient, crd: CrdObject): Promise<boolean> {
  for (const version of crd.spec.versions.filter((v) => v.served)) {
    const list = await client
      .request<{ resources?: { name: string }[] }>('GET', `/apis/${crd.spec.group}/${version.name}`, {
        verb: 'get',
        resource: 'discovery',
      })
      .catch(() => undefined);
    if (!list?.resources?.some((r) => r.name === crd.spec.names.plural)) return false;
  }
  return true;
}
