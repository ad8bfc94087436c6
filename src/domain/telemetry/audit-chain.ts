/**
 * The audit trail's hash chain: each entry carries the SHA-256 of the entry before it, and its
 * own hash covers its fields and that link. Changing a stored field changes the entry's hash;
 * deleting or moving an entry breaks the link of the one after it (and the sequence numbers
 * have a gap or go backwards). Pure: the SQL that stores and reads entries is elsewhere.
 */
import { createHash } from 'node:crypto';

/** What happened, named by the source that records it. */
export const AUDIT_ACTIONS = [
  'create',
  'update',
  'delete',
  'observed',
  'applied',
  'rejected',
  'rollback',
  'backup',
  'restore',
  'decision',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** An entry as a source hands it over: everything but its place in the chain. */
export interface AuditEvent {
  /** Milliseconds since the epoch. */
  readonly timeMs: number;
  readonly action: AuditAction;
  /** Who did it: the field manager for resource changes, the CLI user, the gateway, ... */
  readonly actor: string;
  /** A resource kind (WafRuleSet, RouteConfig, Certificate), or the subject: gateway, backup. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation for resource changes, 0 otherwise. */
  readonly generation: number;
  /** One line for people: `spec.routes[1].backends changed`. */
  readonly summary: string;
  /** Anything else, as JSON (key order does not matter: the hash sorts keys). */
  readonly details: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditEvent {
  readonly sequence: number;
  /** Hex SHA-256 of the previous entry; GENESIS for the first. */
  readonly previousHash: string;
  readonly hash: string;
}

export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every level: one spelling per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // undefined, a function or a symbol has no JSON spelling, despite stringify's type.
    const text = JSON.stringify(value) as string | undefined;
    return text ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function entryHash(sequence: number, previousHash: string, event: AuditEvent): string {
  const fields = [
    sequence,
    previousHash,
    new Date(event.timeMs).toISOString(),
    event.action,
    event.actor,
    event.kind,
    event.namespace,
    event.name,
    event.generation,
    event.summary,
    canonicalJson(event.details),
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** The next entry after `previous` (undefined: the chain is empty). */
export function chainEntry(
  previous: { readonly sequence: number; readonly hash: string } | undefined,
  event: AuditEvent,
): AuditEntry {
  const sequence = (previous?.sequence ?? 0) + 1;
  const previousHash = previous?.hash ?? GENESIS;
  return { ...event, sequence, previousHash, hash: entryHash(sequence, previousHash, event) };
}

export interface ChainProblem {
  readonly sequence: number;
  readonly problem: 'edited' | 'missing' | 'out-of-order' | 'broken-link';
  readonly message: string;
}

/**
 * Checks entries read in stored order, continuing from `anchor` (the last entry checked before,
 * or the entry just before the oldest one retention kept). Returns the anchor for the next page
 * and every problem found.
 */
export class ChainVerifier {
  readonly problems: ChainProblem[] = [];
  checked = 0;
  private last: { sequence: number; hash: string } | undefined;

  constructor(anchor?: { readonly sequence: number; readonly hash: string }) {
    this.last = anchor ? { sequence: anchor.sequence, hash: anchor.hash } : undefined;
  }

  get head(): { readonly sequence: number; readonly hash: string } | undefined {
    return this.last;
  }

  check(entry: AuditEntry): void {
    this.checked += 1;
    const expectedSequence = (this.last?.sequence ?? 0) + 1;
    const expectedPrevious = this.last?.hash ?? GENESIS;
    if (entry.sequence < expectedSequence) {
      this.problems.push({
        sequence: entry.sequence,
        problem: 'out-of-order',
        message: `entry ${entry.sequence} comes after entry ${expectedSequence - 1}: entries were reordered`,
      });
    } else if (entry.sequence > expectedSequence) {
      const gap =
        entry.sequence - expectedSequence === 1
          ? `entry ${expectedSequence} is missing`
          : `entries ${expectedSequence} to ${entry.sequence - 1} are missing`;
      this.problems.push({ sequence: expectedSequence, problem: 'missing', message: `${gap} (deleted)` });
    }
    if (entry.previousHash !== expectedPrevious && entry.sequence === expectedSequence) {
      this.problems.push({
        sequence: entry.sequence,
        problem: 'broken-link',
        message: `entry ${entry.sequence} does not follow entry ${expectedSequence - 1}: its previous hash ${short(entry.previousHash)} is not ${short(expectedPrevious)} (an entry before it was replaced)`,
      });
    }
    const recomputed = entryHash(entry.sequence, entry.previousHash, entry);
    if (recomputed !== entry.hash) {
      this.problems.push({
        sequence: entry.sequence,
        problem: 'edited',
        message: `entry ${entry.sequence} was edited: its content hashes to ${short(recomputed)}, not the stored ${short(entry.hash)}`,
      });
    }
    // Continue from what is stored, so one edit is reported once, not for every later entry.
    this.last = { sequence: Math.max(entry.sequence, this.last?.sequence ?? 0), hash: entry.hash };
  }
}

function short(hash: string): string {
  return hash.slice(0, 12);
}
