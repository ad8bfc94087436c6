/**
 * The ThreatAllowlists as they are now, read from the informer caches (the ThreatAllowlist
 * objects and the ConfigMaps labelled for them), each read once per change of its object or
 * ConfigMaps. The union of all of them is what no deny list may hold.
 */
import { ALLOWLIST_CONFIGMAP_LABEL, type ThreatAllowlist } from '../api/v1alpha1/index.js';
import { readAllowlist, uniteAllowlists, type AllowlistContent } from '../domain/threats/allowlist.js';
import { EMPTY_RANGES, type RangeSet } from '../domain/threats/ip-ranges.js';
import type { Informer } from '../runtime/informer/informer.js';
import type { ConfigMap } from '../runtime/kube/resource.js';

interface Cached {
  readonly fingerprint: string;
  readonly content: AllowlistContent;
}

export class Allowlists {
  private readonly cache = new Map<string, Cached>();
  private union: { fingerprint: string; ranges: RangeSet } = { fingerprint: '', ranges: EMPTY_RANGES };

  constructor(
    private readonly allowlists: Informer<ThreatAllowlist>,
    /** ConfigMaps labelled ALLOWLIST_CONFIGMAP_LABEL=true. */
    private readonly configMaps: Informer<ConfigMap>,
  ) {}

  /** What one ThreatAllowlist holds now; `unlabelled` names referenced ConfigMaps known to exist. */
  contentOf(allowlist: ThreatAllowlist, unlabelled: ReadonlySet<string> = new Set()): AllowlistContent {
    const { namespace = '' } = allowlist.metadata;
    const refs = allowlist.spec.configMapRefs ?? [];
    const maps = refs.map((ref) => this.configMaps.store.get(`${namespace}/${ref.name}`));
    const fingerprint = JSON.stringify([
      allowlist.metadata.uid,
      allowlist.metadata.resourceVersion,
      maps.map((m) => m?.metadata.resourceVersion ?? null),
      [...unlabelled].sort(),
    ]);
    const key = `${namespace}/${allowlist.metadata.name ?? ''}`;
    const cached = this.cache.get(key);
    if (cached?.fingerprint === fingerprint) return cached.content;
    const content = readAllowlist(
      {
        cidrs: allowlist.spec.cidrs ?? [],
        configMaps: refs.map((ref, i) => {
          const map = maps[i];
          const data = map?.data?.[ref.key];
          return {
            name: ref.name,
            key: ref.key,
            content:
              data !== undefined
                ? { text: data }
                : { absent: map ? 'no-key' : unlabelled.has(ref.name) ? 'unlabelled' : 'missing' },
          };
        }),
      },
      ALLOWLIST_CONFIGMAP_LABEL,
    );
    this.cache.set(key, { fingerprint, content });
    return content;
  }

  /** Every allowlist united. */
  current(): RangeSet {
    const lists = this.allowlists.store.list();
    const contents = lists.map((list) => this.contentOf(list));
    const fingerprint = lists
      .map(
        (l) =>
          `${l.metadata.namespace ?? ''}/${l.metadata.name ?? ''}@${this.cache.get(`${l.metadata.namespace ?? ''}/${l.metadata.name ?? ''}`)?.fingerprint ?? ''}`,
      )
      .sort()
      .join('\n');
    if (fingerprint !== this.union.fingerprint) {
      this.union = { fingerprint, ranges: uniteAllowlists(contents.map((c) => c.ranges)) };
      const live = new Set(lists.map((l) => `${l.metadata.namespace ?? ''}/${l.metadata.name ?? ''}`));
      for (const key of this.cache.keys()) if (!live.has(key)) this.cache.delete(key);
    }
    return this.union.ranges;
  }
}
