/** The informer's cache: objects by key, plus named secondary indexes (e.g. Secrets by owner). */
import { matchesSelector, type LabelSelector } from '../../api/meta/label-selector.js';
import { objectKey, type KubeObject } from '../kube/resource.js';

export type IndexFunc<T> = (obj: T) => readonly string[];

export const NAMESPACE_INDEX = 'namespace';

export class Store<T extends KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly indexers: Readonly<Record<string, IndexFunc<T>>> = {}) {
    for (const name of [NAMESPACE_INDEX, ...Object.keys(indexers)]) this.indexes.set(name, new Map());
  }

  get size(): number {
    return this.items.size;
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  list(): T[] {
    return [...this.items.values()];
  }

  listBySelector(selector: LabelSelector | undefined, namespace?: string): T[] {
    const candidates = namespace === undefined ? this.list() : this.byIndex(NAMESPACE_INDEX, namespace);
    return candidates.filter((obj) => matchesSelector(selector, obj.metadata.labels));
  }

  byIndex(index: string, value: string): T[] {
    const keys = this.indexes.get(index)?.get(value);
    if (!keys) return [];
    return [...keys].map((key) => this.items.get(key)).filter((obj): obj is T => obj !== undefined);
  }

  /** Stores `obj`; returns the object it replaced. */
  upsert(obj: T): T | undefined {
    const key = objectKey(obj);
    const old = this.items.get(key);
    if (old) this.unindex(key, old);
    this.items.set(key, obj);
    this.index(key, obj);
    return old;
  }

  remove(key: string): T | undefined {
    const old = this.items.get(key);
    if (!old) return undefined;
    this.unindex(key, old);
    this.items.delete(key);
    return old;
  }

  private valuesFor(name: string, obj: T): readonly string[] {
    if (name === NAMESPACE_INDEX) return [obj.metadata.namespace ?? ''];
    return this.indexers[name]?.(obj) ?? [];
  }

  private index(key: string, obj: T): void {
    for (const [name, index] of this.indexes) {
      for (const value of this.valuesFor(name, obj)) {
        let keys = index.get(value);
        if (!keys) index.set(value, (keys = new Set()));
        keys.add(key);
      }
    }
  }

  private unindex(key: string, obj: T): void {
    for (const [name, index] of this.indexes) {
      for (const value of this.valuesFor(name, obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}
