/**
 * First-in first-out list of keys. Array.shift is O(n), which a queue holding every object of a
 * large cluster after a resync would feel; a moving head with occasional compaction is O(1).
 */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    // Compact only once the dead prefix dominates, so the copy costs O(1) amortised per item.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
