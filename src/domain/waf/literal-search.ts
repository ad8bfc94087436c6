/**
 * Matching many literal conditions (equals, starts_with, ends_with, contains) against one field
 * in a single pass. Rust's RegexSet handles literals badly once there are hundreds sharing a
 * prefix (its lazy DFA thrashes), so literals stay in JavaScript: hash lookups for equals,
 * prefixes and suffixes, and an Aho-Corasick automaton for contains. Exact, not a prefilter:
 * case-insensitive conditions are matched against the lower-cased field with lower-cased
 * needles, which is what the gateway's `to_lowercase()` comparisons do.
 */

export type LiteralOperator = 'equals' | 'starts_with' | 'ends_with' | 'contains';

/** Maps a needle to the ids of the conditions that look for it. */
class Needles {
  private readonly ids = new Map<string, number[]>();

  add(needle: string, id: number): void {
    const list = this.ids.get(needle);
    if (list) list.push(id);
    else this.ids.set(needle, [id]);
  }

  get(needle: string): readonly number[] | undefined {
    return this.ids.get(needle);
  }

  get size(): number {
    return this.ids.size;
  }

  keys(): IterableIterator<string> {
    return this.ids.keys();
  }
}

/** Aho-Corasick over UTF-16 code units; reports every needle occurring in the text. */
class AhoCorasick {
  private readonly next: Map<number, number>[] = [new Map<number, number>()];
  private readonly fail: number[] = [0];
  /** Condition ids whose needle ends at this node, including those reached by failure links. */
  private readonly out: number[][] = [[]];

  constructor(needles: Needles) {
    for (const needle of needles.keys()) {
      let node = 0;
      for (let i = 0; i < needle.length; i += 1) {
        const code = needle.charCodeAt(i);
        let child = this.next[node]?.get(code);
        if (child === undefined) {
          child = this.next.length;
          this.next.push(new Map());
          this.fail.push(0);
          this.out.push([]);
          this.next[node]?.set(code, child);
        }
        node = child;
      }
      this.out[node]?.push(...(needles.get(needle) ?? []));
    }
    // Breadth-first, so a node's failure target is final before its children need it.
    const queue: number[] = [...(this.next[0]?.values() ?? [])];
    for (let head = 0; head < queue.length; head += 1) {
      const node = queue[head] ?? 0;
      for (const [code, child] of this.next[node] ?? []) {
        queue.push(child);
        let f = this.fail[node] ?? 0;
        while (f !== 0 && !this.next[f]?.has(code)) f = this.fail[f] ?? 0;
        const target = this.next[f]?.get(code);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        this.out[child]?.push(...(this.out[this.fail[child] ?? 0] ?? []));
      }
    }
  }

  search(text: string, hits: number[]): void {
    let node = 0;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      let child = this.next[node]?.get(code);
      while (child === undefined && node !== 0) {
        node = this.fail[node] ?? 0;
        child = this.next[node]?.get(code);
      }
      node = child ?? 0;
      const out = this.out[node];
      if (out && out.length > 0) hits.push(...out);
    }
  }
}

/** Prefixes (or suffixes, read backwards): one walk down from the text's start (or end). */
class Trie {
  private readonly next: Map<number, number>[] = [new Map<number, number>()];
  private readonly ids: number[][] = [[]];

  add(needle: string, id: number, backwards: boolean): void {
    let node = 0;
    for (let i = 0; i < needle.length; i += 1) {
      const code = needle.charCodeAt(backwards ? needle.length - 1 - i : i);
      let child = this.next[node]?.get(code);
      if (child === undefined) {
        child = this.next.length;
        this.next.push(new Map<number, number>());
        this.ids.push([]);
        this.next[node]?.set(code, child);
      }
      node = child;
    }
    this.ids[node]?.push(id);
  }

  walk(text: string, backwards: boolean, hits: number[]): void {
    if (this.next.length === 1) return;
    let node = 0;
    for (let i = 0; i < text.length; i += 1) {
      const child = this.next[node]?.get(text.charCodeAt(backwards ? text.length - 1 - i : i));
      if (child === undefined) return;
      node = child;
      const ids = this.ids[node];
      if (ids && ids.length > 0) hits.push(...ids);
    }
  }
}

/** Every literal condition on one field, in one case mode. */
export class LiteralMatcher {
  private readonly equals = new Needles();
  private readonly prefixes = new Trie();
  private readonly suffixes = new Trie();
  private readonly contains = new Needles();
  private automaton: AhoCorasick | undefined;
  /** `contains ""` holds for every value. */
  private readonly always: number[] = [];

  add(operator: LiteralOperator, needle: string, id: number): void {
    if (needle === '' && operator !== 'equals') {
      this.always.push(id);
      return;
    }
    if (operator === 'equals') this.equals.add(needle, id);
    else if (operator === 'contains') this.contains.add(needle, id);
    else if (operator === 'starts_with') this.prefixes.add(needle, id, false);
    else this.suffixes.add(needle, id, true);
  }

  /** Call once all conditions are added. */
  seal(): void {
    if (this.contains.size > 0) this.automaton = new AhoCorasick(this.contains);
  }

  /** Appends the id of every condition the text satisfies (an id may appear twice). */
  match(text: string, hits: number[]): void {
    if (this.always.length > 0) hits.push(...this.always);
    const equal = this.equals.get(text);
    if (equal) hits.push(...equal);
    this.prefixes.walk(text, false, hits);
    this.suffixes.walk(text, true, hits);
    this.automaton?.search(text, hits);
  }
}
