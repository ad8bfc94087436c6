/**
 * Evaluates requests the way the gateway's WAF does (its `engine.rs` and `rules.rs`): the IP
 * allow list (when not empty the client must be in it), the deny list, then the rules in order —
 * a rule matches when all its conditions hold, a disabled rule never matches, the first `block`
 * or `rate_limit` ends evaluation, `log` records the match and goes on; no match means allow.
 *
 * Built for large rule sets: every distinct condition is a slot, and each field a request is
 * tested on is read once and matched against all its conditions in one pass — regexes with
 * Rust's RegexSet (rregex, the gateway's own engine), literals with hash lookups and
 * Aho-Corasick. Rules then only look up slots.
 */
import { RRegexSet } from 'rregex';
import { IpMatcher } from './ip.js';
import { LiteralMatcher } from './literal-search.js';
import type { ActionType, Decision, GatewayCondition, WafPolicy, WafRequest } from './model.js';
import { RequestFields, fieldKey } from './request.js';

type Check =
  | { readonly kind: 'slot'; readonly slot: number; readonly field: number }
  | {
      readonly kind: 'numeric';
      readonly key: string;
      readonly operator: 'greater_than' | 'less_than';
      readonly bound: number | undefined;
    };

interface Rule {
  readonly id: string;
  readonly action: ActionType;
  readonly message: string;
  readonly score: number;
  readonly checks: readonly Check[];
}

interface RegexGroup {
  readonly sets: readonly { readonly set: RRegexSet; readonly offset: number }[];
  /** Slots of each pattern, by pattern index across all sets. */
  readonly slots: readonly (readonly number[])[];
}

interface Field {
  readonly key: string;
  readonly raw: LiteralMatcher;
  readonly lower: LiteralMatcher;
  hasRaw: boolean;
  hasLower: boolean;
  patterns: string[];
  patternSlots: number[][];
  regex?: RegexGroup;
}

export interface Evaluator {
  evaluate(request: WafRequest): Decision;
  /** Frees the WebAssembly memory of the regex sets; the evaluator is unusable afterwards. */
  dispose(): void;
}

/** What Rust's `str::parse::<f64>` accepts; undefined for what it rejects. */
export function parseRustFloat(text: string): number | undefined {
  if (/^[+-]?(inf|infinity|nan)$/i.test(text)) {
    if (/nan/i.test(text)) return NaN;
    return text.startsWith('-') ? -Infinity : Infinity;
  }
  return /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text) ? Number(text) : undefined;
}

/** Regex sets of the patterns; a set the engine refuses (too big) is split in halves. */
function regexSets(patterns: readonly string[], offset = 0): { set: RRegexSet; offset: number }[] {
  try {
    return [{ set: new RRegexSet([...patterns]), offset }];
  } catch (error) {
    if (patterns.length <= 1) throw error;
    const half = Math.ceil(patterns.length / 2);
    return [...regexSets(patterns.slice(0, half), offset), ...regexSets(patterns.slice(half), offset + half)];
  }
}

class Compiler {
  readonly fields: Field[] = [];
  private readonly fieldIndex = new Map<string, number>();
  private readonly slotIndex = new Map<string, number>();
  private readonly patternIndex = new Map<string, number>();

  get slotCount(): number {
    return this.slotIndex.size;
  }

  check(condition: GatewayCondition): Check {
    const key = fieldKey(condition.field);
    const { operator, value } = condition;
    if (operator === 'greater_than' || operator === 'less_than') {
      return { kind: 'numeric', key, operator, bound: parseRustFloat(value) };
    }
    const fieldNumber = this.field(key);
    const field = this.fields[fieldNumber];
    if (!field) throw new Error(`field ${key} missing`);
    // case_sensitive applies to the text operators only: the gateway compiles a regex as written.
    const folded = operator !== 'regex' && !condition.case_sensitive;
    const needle = folded ? value.toLowerCase() : value;
    const slotKey = `${key}\0${operator}\0${folded ? 'i' : 's'}\0${needle}`;
    let slot = this.slotIndex.get(slotKey);
    if (slot === undefined) {
      slot = this.slotIndex.size;
      this.slotIndex.set(slotKey, slot);
      if (operator === 'regex') {
        const patternKey = `${fieldNumber}\0${value}`;
        let pattern = this.patternIndex.get(patternKey);
        if (pattern === undefined) {
          pattern = field.patterns.length;
          this.patternIndex.set(patternKey, pattern);
          field.patterns.push(value);
          field.patternSlots.push([]);
        }
        field.patternSlots[pattern]?.push(slot);
      } else if (folded) {
        field.lower.add(operator, needle, slot);
        field.hasLower = true;
      } else {
        field.raw.add(operator, needle, slot);
        field.hasRaw = true;
      }
    }
    return { kind: 'slot', slot, field: fieldNumber };
  }

  private field(key: string): number {
    let index = this.fieldIndex.get(key);
    if (index === undefined) {
      index = this.fields.length;
      this.fieldIndex.set(key, index);
      this.fields.push({
        key,
        raw: new LiteralMatcher(),
        lower: new LiteralMatcher(),
        hasRaw: false,
        hasLower: false,
        patterns: [],
        patternSlots: [],
      });
    }
    return index;
  }

  seal(): void {
    for (const field of this.fields) {
      field.raw.seal();
      field.lower.seal();
      if (field.patterns.length > 0) {
        field.regex = { sets: regexSets(field.patterns), slots: field.patternSlots };
      }
    }
  }
}

export function createEvaluator(policy: WafPolicy): Evaluator {
  const compiler = new Compiler();
  const rules: Rule[] = policy.rules
    .filter((rule) => rule.enabled)
    .map((rule) => ({
      id: rule.id,
      action: rule.action.action_type,
      message: rule.action.message,
      score: rule.action.score ?? 0,
      checks: rule.conditions.map((c) => compiler.check(c)),
    }));
  compiler.seal();
  const fields = compiler.fields;
  const allow = new IpMatcher(policy.ipAllowList);
  const deny = new IpMatcher(policy.ipDenyList);
  // Per-request marks, stamped with a serial number instead of being cleared.
  let marks = new Int32Array(compiler.slotCount);
  let fieldMarks = new Int32Array(fields.length);
  let serial = 0;

  const matchField = (index: number, request: RequestFields): void => {
    if (fieldMarks[index] === serial) return;
    fieldMarks[index] = serial;
    const field = fields[index];
    if (!field) return;
    const value = request.read(field.key);
    const hit = (slot: number): void => {
      marks[slot] = serial;
    };
    if (field.hasRaw) field.raw.match(value, hit);
    if (field.hasLower) field.lower.match(value.toLowerCase(), hit);
    if (field.regex) {
      for (const { set, offset } of field.regex.sets) {
        for (const pattern of set.matches(value)) {
          for (const slot of field.regex.slots[offset + pattern] ?? []) marks[slot] = serial;
        }
      }
    }
  };

  const holds = (check: Check, request: RequestFields): boolean => {
    if (check.kind === 'slot') {
      matchField(check.field, request);
      return marks[check.slot] === serial;
    }
    const actual = parseRustFloat(request.read(check.key));
    // The gateway fails the rule (logs a warning and goes on) when either side is not a number.
    if (actual === undefined || check.bound === undefined) return false;
    return check.operator === 'greater_than' ? actual > check.bound : actual < check.bound;
  };

  return {
    evaluate(request: WafRequest): Decision {
      serial += 1;
      if (serial === 0x7fffffff) {
        marks = new Int32Array(marks.length);
        fieldMarks = new Int32Array(fieldMarks.length);
        serial = 1;
      }
      const fieldsOf = new RequestFields(request);
      if (allow.size > 0 || deny.size > 0) {
        const client = fieldsOf.client;
        const shown = request.ip ?? '(none)';
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
      const logged: string[] = [];
      let score = 0;
      for (const rule of rules) {
        if (!rule.checks.every((check) => holds(check, fieldsOf))) continue;
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
      for (const field of fields) for (const { set } of field.regex?.sets ?? []) set.free();
    },
  };
}
