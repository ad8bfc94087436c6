/**
 * Evaluates requests the way the gateway's WAF does (its `engine.rs` and `rules.rs`): the IP
 * allow list (when not empty the client must be in it), the deny list, then the rules in order —
 * a rule matches when all its conditions hold, a disabled rule never matches, the first `block`
 * or `rate_limit` ends evaluation, `log` records the match and goes on; no match means allow.
 *
 * Built for large rule sets. Every distinct text condition is a slot; each field the rules read
 * is read once per request and matched against all its slots in one pass — regexes with Rust's
 * RegexSet (rregex, the gateway's own engine), literals with hash lookups and Aho-Corasick.
 * Only the rules whose first text condition hit are then checked, in rule order, so a request
 * costs what its fields cost, not what the number of rules costs. A field's hits depend on its
 * value alone, so recent values are remembered per field (user agents and the like repeat).
 */
import type { RRegexSet } from 'rregex';
import { IpMatcher } from './ip.js';
import { LiteralMatcher } from './literal-search.js';
import type { ActionType, Decision, GatewayCondition, WafPolicy, WafRequest } from './model.js';
import { acquireRegexSet, releaseRegexSet } from './regex-sets.js';
import { RequestFields, fieldKey, fieldReader, type FieldReader } from './request.js';

interface NumericCheck {
  readonly key: string;
  readonly greater: boolean;
  readonly bound: number | undefined;
}

interface Rule {
  readonly id: string;
  readonly action: ActionType;
  readonly message: string;
  readonly score: number;
  readonly slots: readonly number[];
  readonly numeric: readonly NumericCheck[];
}

interface RegexSetPart {
  readonly set: RRegexSet;
  readonly patterns: readonly string[];
  readonly offset: number;
}

interface Field {
  readonly key: string;
  readonly reader: FieldReader;
  readonly raw: LiteralMatcher;
  readonly lower: LiteralMatcher;
  hasRaw: boolean;
  hasLower: boolean;
  readonly patterns: string[];
  readonly patternSlots: number[][];
  sets: readonly RegexSetPart[];
  /** Slots hit by recent values; '' is always there. */
  readonly memo: Map<string, readonly number[]>;
}

export interface EvaluatorOptions {
  /** Values remembered per field with the slots they hit; 0 turns the memo off. Default 2048. */
  readonly memo?: number;
}

export interface Evaluator {
  evaluate(request: WafRequest): Decision;
  /** Releases the regex sets (kept for reuse a while); the evaluator is unusable afterwards. */
  dispose(): void;
}

/** Longer values are not remembered: they are rarely repeated and would hold memory. */
const MEMO_MAX_VALUE = 512;

/** What Rust's `str::parse::<f64>` accepts; undefined for what it rejects. */
export function parseRustFloat(text: string): number | undefined {
  if (/^[0-9]{1,15}$/.test(text)) return Number(text);
  if (/^[+-]?(inf|infinity|nan)$/i.test(text)) {
    if (/nan/i.test(text)) return NaN;
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  return /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text) ? Number(text) : undefined;
}

/** Regex sets of the patterns; a set the engine refuses (too big) is split in halves. */
function regexSets(patterns: readonly string[], offset = 0): RegexSetPart[] {
  if (patterns.length === 0) return [];
  try {
    return [{ set: acquireRegexSet(patterns), patterns, offset }];
  } catch (error) {
    if (patterns.length <= 1) throw error;
    const half = Math.ceil(patterns.length / 2);
    return [...regexSets(patterns.slice(0, half), offset), ...regexSets(patterns.slice(half), offset + half)];
  }
}

/** Turns conditions into slots, grouped by the field they read. */
class Slots {
  readonly fields: Field[] = [];
  private readonly fieldIndex = new Map<string, number>();
  private readonly slotIndex = new Map<string, number>();
  private readonly patternIndex = new Map<string, number>();

  get count(): number {
    return this.slotIndex.size;
  }

  slot(condition: GatewayCondition): number {
    const key = fieldKey(condition.field);
    const { operator, value } = condition;
    const field = this.field(key);
    // case_sensitive applies to the text operators only: the gateway compiles a regex as written.
    const folded = operator !== 'regex' && !condition.case_sensitive;
    const needle = folded ? value.toLowerCase() : value;
    const slotKey = JSON.stringify([key, operator, folded, needle]);
    let slot = this.slotIndex.get(slotKey);
    if (slot !== undefined) return slot;
    slot = this.slotIndex.size;
    this.slotIndex.set(slotKey, slot);
    if (operator === 'regex') {
      const patternKey = JSON.stringify([key, value]);
      let pattern = this.patternIndex.get(patternKey);
      if (pattern === undefined) {
        pattern = field.patterns.length;
        this.patternIndex.set(patternKey, pattern);
        field.patterns.push(value);
        field.patternSlots.push([]);
      }
      field.patternSlots[pattern]?.push(slot);
    } else if (operator === 'greater_than' || operator === 'less_than') {
      throw new Error('numeric conditions have no slot');
    } else if (folded) {
      field.lower.add(operator, needle, slot);
      field.hasLower = true;
    } else {
      field.raw.add(operator, needle, slot);
      field.hasRaw = true;
    }
    return slot;
  }

  private field(key: string): Field {
    const index = this.fieldIndex.get(key);
    if (index !== undefined) return this.fields[index] as Field;
    const field: Field = {
      key,
      reader: fieldReader(key),
      raw: new LiteralMatcher(),
      lower: new LiteralMatcher(),
      hasRaw: false,
      hasLower: false,
      patterns: [],
      patternSlots: [],
      sets: [],
      memo: new Map(),
    };
    this.fieldIndex.set(key, this.fields.length);
    this.fields.push(field);
    return field;
  }

  seal(): void {
    for (const field of this.fields) {
      field.raw.seal();
      field.lower.seal();
      field.sets = regexSets(field.patterns);
      field.memo.set('', hitsOf(field, ''));
    }
  }
}

/** Every slot of the field that the value satisfies (a slot may appear twice). */
function hitsOf(field: Field, value: string): number[] {
  const hits: number[] = [];
  if (field.hasRaw) field.raw.match(value, hits);
  if (field.hasLower) field.lower.match(value.toLowerCase(), hits);
  for (const { set, offset } of field.sets) {
    for (const pattern of set.matches(value)) {
      const slots = field.patternSlots[offset + pattern];
      if (slots) hits.push(...slots);
    }
  }
  return hits;
}

function numericHolds(check: NumericCheck, request: RequestFields): boolean {
  const actual = request.number(check.key, parseRustFloat);
  // The gateway fails the rule (logs a warning and goes on) when either side is not a number.
  if (actual === undefined || check.bound === undefined) return false;
  return check.greater ? actual > check.bound : actual < check.bound;
}

export function createEvaluator(policy: WafPolicy, options: EvaluatorOptions = {}): Evaluator {
  const memoSize = options.memo ?? 2048;
  const slots = new Slots();
  const rules: Rule[] = [];
  for (const rule of policy.rules) {
    if (!rule.enabled) continue;
    const numeric: NumericCheck[] = [];
    const ruleSlots: number[] = [];
    for (const c of rule.conditions) {
      if (c.operator === 'greater_than' || c.operator === 'less_than') {
        numeric.push({
          key: fieldKey(c.field),
          greater: c.operator === 'greater_than',
          bound: parseRustFloat(c.value),
        });
      } else {
        ruleSlots.push(slots.slot(c));
      }
    }
    rules.push({
      id: rule.id,
      action: rule.action.action_type,
      message: rule.action.message,
      score: rule.action.score ?? 0,
      slots: ruleSlots,
      numeric,
    });
  }
  slots.seal();
  const fields = slots.fields;
  // A rule is a candidate when its first text condition hits; rules without one always are.
  const rulesBySlot: number[][] = Array.from({ length: slots.count }, () => []);
  const alwaysCandidates: number[] = [];
  rules.forEach((rule, index) => {
    const first = rule.slots[0];
    if (first === undefined) alwaysCandidates.push(index);
    else rulesBySlot[first]?.push(index);
  });
  const allow = new IpMatcher(policy.ipAllowList);
  const deny = new IpMatcher(policy.ipDenyList);
  // Per-request marks, stamped with a serial number instead of being cleared.
  let slotMarks = new Int32Array(slots.count);
  let ruleMarks = new Int32Array(rules.length);
  let serial = 0;

  const fieldHits = (field: Field, value: string): readonly number[] => {
    const known = field.memo.get(value);
    if (known) return known;
    const hits = hitsOf(field, value);
    if (memoSize > 0 && value.length <= MEMO_MAX_VALUE) {
      if (field.memo.size > memoSize) {
        const empty = field.memo.get('') ?? [];
        field.memo.clear();
        field.memo.set('', empty);
      }
      field.memo.set(value, hits);
    }
    return hits;
  };

  const ruleHolds = (rule: Rule, request: RequestFields): boolean => {
    for (const slot of rule.slots) if (slotMarks[slot] !== serial) return false;
    for (const check of rule.numeric) if (!numericHolds(check, request)) return false;
    return true;
  };

  return {
    evaluate(request: WafRequest): Decision {
      serial += 1;
      if (serial === 0x7fffffff) {
        slotMarks = new Int32Array(slotMarks.length);
        ruleMarks = new Int32Array(ruleMarks.length);
        serial = 1;
      }
      const view = new RequestFields(request);
      if (allow.size > 0 || deny.size > 0) {
        const client = request.ip;
        const shown = client ?? '(none)';
        if (allow.size > 0 && !allow.has(client)) {
          return {
            action: 'block',
            message: `client ${shown} is not on the IP allow list`,
            logged: [],
            score: 0,
          };
        }
        if (deny.has(client)) {
          return { action: 'block', message: `client ${shown} is on the IP deny list`, logged: [], score: 0 };
        }
      }
      const candidates = alwaysCandidates.length > 0 ? alwaysCandidates.slice() : [];
      for (const field of fields) {
        for (const slot of fieldHits(field, view.readWith(field.reader))) {
          if (slotMarks[slot] === serial) continue;
          slotMarks[slot] = serial;
          for (const index of rulesBySlot[slot] ?? []) {
            if (ruleMarks[index] === serial) continue;
            ruleMarks[index] = serial;
            candidates.push(index);
          }
        }
      }
      if (candidates.length > 1) candidates.sort((a, b) => a - b);
      const logged: string[] = [];
      let score = 0;
      for (const index of candidates) {
        const rule = rules[index];
        if (!rule || !ruleHolds(rule, view)) continue;
        score += rule.score;
        if (rule.action === 'log') {
          logged.push(rule.id);
          continue;
        }
        return { action: rule.action, rule: rule.id, message: rule.message, logged, score };
      }
      return { action: logged.length > 0 ? 'log' : 'allow', logged, score };
    },
    dispose(): void {
      for (const field of fields) for (const { patterns } of field.sets) releaseRegexSet(patterns);
      for (const field of fields) field.sets = [];
    },
  };
}
