/**
 * An API server in memory for controller unit tests, in the manner of client-go's fake
 * clientset: get, create, server-side apply (simplified: the fields given replace the stored
 * ones), JSON merge patch (with the resourceVersion precondition, on the object or its status
 * subresource) and delete, each bumping resourceVersion only when something changed, and
 * metadata.generation when anything but status changed.
 *
 * Every stored object is mirrored into an informer {@link Store} (`cache(type)`), which is what
 * a reconciler reads. `pauseCache()` stops the mirroring, so a test can show a reconcile a cache
 * that is behind the server, as a watch that has not delivered yet; `resumeCache()` catches up.
 * `writes` lists every request that changed something, and `fail(...)` makes requests fail.
 */
import { ApiError } from './errors.js';
import type { CallOptions } from './client.js';
import { objectKey, type KubeObject, type ResourceType } from './resource.js';
import { Store } from '../informer/store.js';
import { deepEqual } from '../objects/deep-equal.js';
import { applyMergePatch } from '../objects/merge-patch.js';

export interface FakeWrite {
  readonly verb: 'create' | 'apply' | 'patch' | 'delete';
  readonly resource: string;
  readonly key: string;
  readonly subresource?: string;
  /** Sent with the cached resourceVersion: a compare-and-swap. */
  readonly conditional?: boolean;
}

type Verb = 'get' | FakeWrite['verb'];

interface Failure {
  readonly verb: Verb;
  readonly resource: string;
  readonly name: string | undefined;
  readonly error: Error;
}

const copy = <T>(value: T): T => structuredClone(value);

function notFound(type: ResourceType, key: string): ApiError {
  return new ApiError(404, 'NotFound', `${type.plural} "${key}" not found`);
}

export class FakeKube {
  /** Requests that changed something, oldest first. */
  readonly writes: FakeWrite[] = [];
  private readonly server = new Map<string, Map<string, KubeObject>>();
  private readonly caches = new Map<string, Store<KubeObject>>();
  private readonly failures: Failure[] = [];
  private revision = 1;
  private paused = false;

  /** The informer cache of a kind, as a reconciler reads it. */
  cache<T extends KubeObject>(type: ResourceType): Store<T> {
    let store = this.caches.get(type.plural);
    if (!store) {
      store = new Store<KubeObject>();
      this.caches.set(type.plural, store);
      for (const obj of this.objects(type).values()) store.upsert(copy(obj));
    }
    return store as unknown as Store<T>;
  }

  /** Stops mirroring writes into the caches: they fall behind the server. */
  pauseCache(): void {
    this.paused = true;
  }

  /** Mirrors everything the caches missed. */
  resumeCache(): void {
    this.paused = false;
    for (const [plural, store] of this.caches) {
      const objects = this.server.get(plural) ?? new Map<string, KubeObject>();
      for (const key of store.keys()) if (!objects.has(key)) store.remove(key);
      for (const obj of objects.values()) store.upsert(copy(obj));
    }
  }

  /** Makes requests fail with `error` (all of a verb on a resource, or one name) until cleared. */
  fail(verb: Verb, resource: string, error: Error, name?: string): void {
    this.failures.push({ verb, resource, name, error });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  /** The object as the server holds it, or undefined. */
  stored(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects(type).get(keyOf(namespace, name));
    return obj ? copy(obj) : undefined;
  }

  /** Puts an object on the server (and in the cache), as a test's starting point. */
  seed<T extends KubeObject>(type: ResourceType, obj: T): T {
    const stored = copy(obj);
    stored.metadata.uid ??= `uid-${stored.metadata.name ?? ''}`;
    stored.metadata.generation ??= 1;
    stored.metadata.resourceVersion = String(this.revision++);
    this.put(type, stored);
    return copy(stored);
  }

  get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: CallOptions = {},
  ): Promise<T> {
    return this.run('get', type, name, options, () => {
      const obj = this.objects(type).get(keyOf(namespace, name));
      if (!obj) throw notFound(type, keyOf(namespace, name));
      return copy(obj) as T;
    });
  }

  create<T extends KubeObject>(type: ResourceType, obj: T): Promise<T> {
    return this.run('create', type, obj.metadata.name, {}, () => {
      const key = objectKey(obj);
      if (this.objects(type).has(key)) throw new ApiError(409, 'AlreadyExists', `${key} already exists`);
      const created = this.seed(type, obj);
      this.writes.push({ verb: 'create', resource: type.plural, key });
      return created;
    });
  }

  apply<T extends KubeObject>(
    type: ResourceType,
    obj: T,
    options: { force?: boolean; subresource?: string } & CallOptions = {},
  ): Promise<T> {
    return this.run('apply', type, obj.metadata.name, options, () => {
      const key = objectKey(obj);
      const existing = this.objects(type).get(key);
      if (!existing) {
        const created = this.seed(type, obj);
        this.writes.push({ verb: 'apply', resource: type.plural, key });
        return created;
      }
      const next: KubeObject = { ...copy(existing), ...copy(obj) };
      next.metadata = { ...copy(existing.metadata), ...copy(obj.metadata) };
      return this.replace(type, existing, next, 'apply') as T;
    });
  }

  mergePatch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    subresource?: string,
    options: CallOptions = {},
  ): Promise<T> {
    return this.run('patch', type, name, options, () => {
      const key = keyOf(namespace, name);
      const existing = this.objects(type).get(key);
      if (!existing) throw notFound(type, key);
      const body = (patch ?? {}) as { metadata?: { resourceVersion?: string }; status?: unknown };
      const precondition = body.metadata?.resourceVersion;
      if (precondition !== undefined && precondition !== existing.metadata.resourceVersion) {
        throw new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified`,
        );
      }
      let next: KubeObject;
      if (subresource === 'status') {
        next = { ...copy(existing), status: applyMergePatch(existing.status, body.status ?? {}) };
      } else {
        const { metadata: _metadata, ...rest } = body as Record<string, unknown>;
        next = applyMergePatch(copy(existing), rest) as KubeObject;
        next.metadata = copy(existing.metadata);
      }
      return this.replace(type, existing, next, 'patch', subresource, precondition !== undefined) as T;
    });
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): Promise<{ kind: string }> {
    return this.run('delete', type, name, {}, () => {
      const key = keyOf(namespace, name);
      if (!this.objects(type).delete(key)) throw notFound(type, key);
      if (!this.paused) this.caches.get(type.plural)?.remove(key);
      this.writes.push({ verb: 'delete', resource: type.plural, key });
      return { kind: 'Status' };
    });
  }

  private replace(
    type: ResourceType,
    existing: KubeObject,
    next: KubeObject,
    verb: FakeWrite['verb'],
    subresource?: string,
    conditional = false,
  ): KubeObject {
    // No change, no new version and no watch event, as the API server does.
    if (deepEqual(existing, next)) return copy(existing);
    const { status: _a, metadata: _b, ...specBefore } = existing;
    const { status: _c, metadata: _d, ...specAfter } = next;
    if (!deepEqual(specBefore, specAfter)) next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    next.metadata.resourceVersion = String(this.revision++);
    this.put(type, next);
    this.writes.push({
      verb,
      resource: type.plural,
      key: objectKey(next),
      ...(subresource ? { subresource } : {}),
      ...(conditional ? { conditional } : {}),
    });
    return copy(next);
  }

  private put(type: ResourceType, obj: KubeObject): void {
    this.objects(type).set(objectKey(obj), obj);
    if (!this.paused) this.caches.get(type.plural)?.upsert(copy(obj));
  }

  private objects(type: ResourceType): Map<string, KubeObject> {
    let objects = this.server.get(type.plural);
    if (!objects) {
      objects = new Map();
      this.server.set(type.plural, objects);
    }
    return objects;
  }

  private async run<T>(
    verb: Verb,
    type: ResourceType,
    name: string | undefined,
    options: CallOptions,
    fn: () => T,
  ): Promise<T> {
    // Answers come back on a later tick, as over the network.
    await Promise.resolve();
    options.signal?.throwIfAborted();
    const failure = this.failures.find(
      (f) => f.verb === verb && f.resource === type.plural && (f.name === undefined || f.name === name),
    );
    if (failure) throw failure.error;
    return fn();
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}
