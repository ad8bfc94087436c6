/**
 * The agent's records between the file and a batch, in file order, with the drop policy that
 * keeps its memory bounded when the worker is slower than the gateway:
 *
 * - past `maxAccess` waiting non-security records, the oldest of them is dropped;
 * - security records have their own, larger bound `maxSecurity`; past it the oldest security
 *   record is dropped too, and the caller is told (an error, never silent).
 *
 * A dropped record leaves a gap in its place that remembers what was dropped, so the next batch
 * taken across it carries the count, and the position a batch ends at covers exactly the records
 * and gaps inside it: a restart from that position neither re-counts nor loses anything. Lines
 * that could not be parsed are gaps from the start. Pure: positions are the caller's values.
 */

export type RecordClass = 'access' | 'security';

interface RecordItem<P> {
  kind: 'record';
  readonly cls: RecordClass;
  readonly bytes: Uint8Array;
  readonly position: P;
}

interface GapItem<P> {
  kind: 'gap';
  droppedAccess: number;
  droppedSecurity: number;
  malformed: number;
  position: P;
}

type Item<P> = RecordItem<P> | GapItem<P>;

export interface QueueLimits {
  /** Waiting non-security records before the oldest is dropped. */
  readonly maxAccess: number;
  /** Waiting security records before the oldest is dropped (an error). */
  readonly maxSecurity: number;
}

export interface Dropped {
  readonly access: number;
  readonly security: number;
}

export interface TakenBatch<P> {
  readonly entries: Uint8Array[];
  readonly securityCount: number;
  readonly droppedAccess: number;
  readonly droppedSecurity: number;
  readonly malformed: number;
  /** The position of the last record or gap taken: where a restart resumes. */
  readonly position: P;
}

export class ShippingQueue<P> {
  private items: Item<P>[] = [];
  private head = 0;
  /** Where the search for the oldest live record of each class resumes. */
  private readonly cursors: Record<RecordClass, number> = { access: 0, security: 0 };
  private readonly counts: Record<RecordClass, number> = { access: 0, security: 0 };
  private bytes = 0;
  private gaps = 0;

  constructor(private readonly limits: QueueLimits) {
    if (!(limits.maxAccess >= 1 && limits.maxSecurity >= 1))
      throw new Error('queue limits must be at least 1');
  }

  /** Records waiting, by class. */
  count(cls: RecordClass): number {
    return this.counts[cls];
  }

  get records(): number {
    return this.counts.access + this.counts.security;
  }

  get recordBytes(): number {
    return this.bytes;
  }

  /** True when nothing waits: no record, and no gap with counts to report. */
  get isEmpty(): boolean {
    return this.head >= this.items.length;
  }

  /** Adds a record; returns what was dropped to make room for it. */
  push(cls: RecordClass, bytes: Uint8Array, position: P): Dropped {
    this.items.push({ kind: 'record', cls, bytes, position });
    this.counts[cls] += 1;
    this.bytes += bytes.length;
    const limit = cls === 'security' ? this.limits.maxSecurity : this.limits.maxAccess;
    if (this.counts[cls] <= limit) return { access: 0, security: 0 };
    this.dropOldest(cls);
    return cls === 'security' ? { access: 0, security: 1 } : { access: 1, security: 0 };
  }

  /** A line that was not a record: counted in the next batch. */
  pushMalformed(position: P): void {
    this.items.push({ kind: 'gap', droppedAccess: 0, droppedSecurity: 0, malformed: 1, position });
    this.gaps += 1;
  }

  /**
   * Takes from the front up to `maxRecords` records and `maxBytes` bytes of them (at least one
   * record if any waits, whatever its size), with every gap among and right after them.
   */
  take(maxRecords: number, maxBytes: number): TakenBatch<P> | undefined {
    if (this.isEmpty) return undefined;
    const entries: Uint8Array[] = [];
    let size = 0;
    let securityCount = 0;
    let droppedAccess = 0;
    let droppedSecurity = 0;
    let malformed = 0;
    let position: P | undefined;
    while (this.head < this.items.length) {
      const item = this.items[this.head];
      if (!item) break;
      if (item.kind === 'record') {
        if (entries.length >= maxRecords || (entries.length > 0 && size + item.bytes.length > maxBytes))
          break;
        entries.push(item.bytes);
        size += item.bytes.length;
        this.counts[item.cls] -= 1;
        this.bytes -= item.bytes.length;
        if (item.cls === 'security') securityCount += 1;
      } else {
        droppedAccess += item.droppedAccess;
        droppedSecurity += item.droppedSecurity;
        malformed += item.malformed;
        this.gaps -= 1;
      }
      position = item.position;
      this.head += 1;
    }
    this.reclaim();
    if (position === undefined) return undefined;
    return { entries, securityCount, droppedAccess, droppedSecurity, malformed, position };
  }

  private dropOldest(cls: RecordClass): void {
    let i = Math.max(this.cursors[cls], this.head);
    for (; i < this.items.length; i += 1) {
      const item = this.items[i];
      if (item?.kind === 'record' && item.cls === cls) break;
    }
    const item = this.items[i];
    if (item?.kind !== 'record') throw new Error('shipping queue: no record of the class to drop');
    this.items[i] = {
      kind: 'gap',
      droppedAccess: cls === 'access' ? 1 : 0,
      droppedSecurity: cls === 'security' ? 1 : 0,
      malformed: 0,
      position: item.position,
    };
    this.cursors[cls] = i + 1;
    this.counts[cls] -= 1;
    this.bytes -= item.bytes.length;
    this.gaps += 1;
    if (this.gaps > 1024 && this.gaps > this.records) this.compact();
  }

  /** Merges runs of gaps, so a worker that stays away costs memory for the records kept only. */
  private compact(): void {
    const kept: Item<P>[] = [];
    for (let i = this.head; i < this.items.length; i += 1) {
      const item = this.items[i];
      if (!item) continue;
      const last = kept[kept.length - 1];
      if (item.kind === 'gap' && last?.kind === 'gap') {
        last.droppedAccess += item.droppedAccess;
        last.droppedSecurity += item.droppedSecurity;
        last.malformed += item.malformed;
        last.position = item.position;
      } else {
        kept.push(item.kind === 'gap' ? { ...item } : item);
      }
    }
    this.items = kept;
    this.head = 0;
    this.gaps = kept.filter((item) => item.kind === 'gap').length;
    this.cursors.access = 0;
    this.cursors.security = 0;
  }

  /** Forgets taken items once they are most of the array. */
  private reclaim(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.cursors.access = 0;
      this.cursors.security = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.cursors.access = Math.max(0, this.cursors.access - this.head);
      this.cursors.security = Math.max(0, this.cursors.security - this.head);
      this.head = 0;
    }
  }
}
