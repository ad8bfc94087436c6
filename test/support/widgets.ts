/** Builders and helpers for the fixture kind Widget (test.gateway-worker.dev/v1). */
import type { KubeClient } from '../../src/runtime/kube/client.js';
import type { KubeObject, ResourceType } from '../../src/runtime/kube/resource.js';

export const WidgetType: ResourceType = {
  group: 'test.gateway-worker.dev',
  version: 'v1',
  plural: 'widgets',
  kind: 'Widget',
  namespaced: true,
};

export interface Widget extends KubeObject {
  spec: { size: number; color?: string };
  status?: Record<string, unknown>;
}

export function widget(namespace: string, name: string, size = 0, color?: string): Widget {
  return { metadata: { namespace, name }, spec: color === undefined ? { size } : { size, color } };
}

/** Runs `tasks` with at most `limit` in flight. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await task(item);
    }
  });
  await Promise.all(lanes);
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** The API server's current view of the widgets in `namespace`: name → size. */
export async function apiState(client: KubeClient, namespace: string): Promise<Map<string, number>> {
  const list = await client.list<Widget>(WidgetType, namespace, { limit: 5000 });
  return new Map(list.items.map((w) => [w.metadata.name ?? '', w.spec.size]));
}
