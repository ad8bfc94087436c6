/**
 * What the audit trail says about one custom resource, given what it last recorded about it and
 * what the API server shows now: created, updated (a new generation or new labels: a spec change
 * or a relabelling; status writes are not changes), deleted, or — the first time a kind is
 * audited — observed. Who changed it is the field manager of the newest managedFields entry
 * that is not a status write.
 */
import type { AuditEvent } from './audit-chain.js';
import { canonicalJson } from './audit-chain.js';
import { diffSummary } from './diff-summary.js';

export interface ManagerEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly time?: string;
  readonly subresource?: string;
}

export interface ResourceState {
  readonly uid: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: unknown;
}

export interface ObservedResource extends ResourceState {
  readonly managers: readonly ManagerEntry[];
}

/** The field manager of the last write that was not to the status subresource. */
export function lastManager(entries: readonly ManagerEntry[]): ManagerEntry | undefined {
  let best: ManagerEntry | undefined;
  for (const entry of entries) {
    if (entry.subresource === 'status') continue;
    if (!best || (entry.time ?? '') >= (best.time ?? '')) best = entry;
  }
  return best;
}

/**
 * The audit event for the change from `stored` to `current` (undefined: deleted), or undefined
 * when nothing worth recording changed. `baseline`: this kind has never been audited, so an
 * object already there was not just created.
 */
export function resourceChange(
  stored: ResourceState | undefined,
  current: ObservedResource | undefined,
  nowMs: number,
  baseline: boolean,
): AuditEvent | undefined {
  if (!current) {
    if (!stored) return undefined;
    return {
      timeMs: nowMs,
      action: 'delete',
      actor: '',
      kind: stored.kind,
      namespace: stored.namespace,
      name: stored.name,
      generation: stored.generation,
      summary: `${stored.kind} ${stored.namespace}/${stored.name} deleted`,
      details: { uid: stored.uid },
    };
  }
  const manager = lastManager(current.managers);
  const base = {
    actor: manager?.manager ?? '',
    kind: current.kind,
    namespace: current.namespace,
    name: current.name,
    generation: current.generation,
  };
  const details = {
    uid: current.uid,
    ...(manager?.operation ? { operation: manager.operation } : {}),
    ...(manager?.time ? { managedAt: manager.time } : {}),
  };
  const timeMs = manager?.time && Date.parse(manager.time) > 0 ? Date.parse(manager.time) : nowMs;
  if (!stored) {
    return {
      ...base,
      timeMs: baseline ? nowMs : timeMs,
      action: baseline ? 'observed' : 'create',
      summary: baseline
        ? `${current.kind} ${current.namespace}/${current.name} existed when auditing began`
        : `${current.kind} ${current.namespace}/${current.name} created`,
      details,
    };
  }
  const labelsChanged = canonicalJson(stored.labels) !== canonicalJson(current.labels);
  if (stored.generation === current.generation && !labelsChanged) return undefined;
  const parts: string[] = [];
  if (stored.generation !== current.generation) parts.push(diffSummary(stored.spec, current.spec));
  if (labelsChanged) parts.push(diffSummary(stored.labels, current.labels, 'metadata.labels'));
  return {
    ...base,
    timeMs,
    action: 'update',
    summary: parts.join('; '),
    details: { ...details, previousGeneration: stored.generation },
  };
}
