/**
 * Structural checks of a WafRuleSet spec, driven by the CRD's own JSON schema so that types,
 * enumerations and size limits cannot drift from the API: the API server enforces them on
 * apply, but manifests read by the CLI and objects written before a CRD upgrade have not been
 * through it. Messages say what is wrong and what is allowed, in the WAF's own words.
 */
import type { JsonSchema } from '../../api/v1alpha1/schema/builder.js';

/** Keys of the gateway's rule file that users carry over by mistake, with the WafRuleSet spelling. */
const GATEWAY_SPELLINGS: Readonly<Record<string, string>> = {
  case_sensitive: 'caseSensitive',
  action_type: 'type',
  ip_whitelist: 'ipAllowList',
  ip_blacklist: 'ipDenyList',
};

/** Extra advice for limits users hit on purpose. */
const HINTS: Readonly<Record<string, string>> = {
  'spec.rules': 'put the remaining rules in another WafRuleSet (priority orders them)',
  'spec.rules[].conditions': 'conditions of a rule must all match; split alternatives into separate rules',
};

export type Report = (path: string, message: string) => void;

export function childPath(parent: string, key: string | number): string {
  return typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message quotes it. */
export function show(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return Array.isArray(value) ? 'a list' : `a value of type ${typeof value}`;
}

/** Characters as the API server counts them (Unicode code points), not UTF-16 units. */
function characters(text: string): number {
  let count = text.length;
  for (let i = 0; i + 1 < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${show(value)}`;
  if (typeof value === 'number') return `the number ${show(value)}`;
  if (typeof value === 'boolean') return `the boolean ${show(value)}`;
  return 'an object';
}

const TYPE_NAMES: Readonly<Record<JsonSchema['type'], string>> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  boolean: 'true or false',
};

function hasType(type: JsonSchema['type'], value: unknown): boolean {
  switch (type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

/** `spec.rules[3].conditions[0]` → `spec.rules[].conditions[]`, the key of {@link HINTS}. */
function shape(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

function withHint(path: string, message: string): string {
  const hint = HINTS[shape(path)];
  return hint ? `${message}; ${hint}` : message;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Checks `value` against `schema`, reporting every problem; true when the value has the right
 * shape at this level and below, so semantic checks may read it.
 */
export function walkSchema(schema: JsonSchema, value: unknown, path: string, report: Report): boolean {
  if (!hasType(schema.type, value)) {
    // YAML 1.1, as kubectl reads manifests, turns an unquoted yes, no, on or off into a boolean.
    const hint =
      schema.type === 'string' && typeof value === 'boolean'
        ? '; quote the value: YAML reads an unquoted yes, no, on or off as true or false'
        : '';
    report(path, `must be ${TYPE_NAMES[schema.type]}, got ${describe(value)}${hint}`);
    return false;
  }
  switch (schema.type) {
    case 'string':
      return checkString(schema, value as string, path, report);
    case 'integer':
      return checkInteger(schema, value as number, path, report);
    case 'array':
      return checkArray(schema, value as unknown[], path, report);
    case 'object':
      return checkObject(schema, value as Record<string, unknown>, path, report);
    default:
      return true;
  }
}

function checkString(schema: JsonSchema, value: string, path: string, report: Report): boolean {
  if (schema.enum && !schema.enum.includes(value)) {
    report(path, `${show(value)} is not supported; use one of ${schema.enum.join(', ')}`);
    return false;
  }
  const length = characters(value);
  if (schema.maxLength !== undefined && length > schema.maxLength) {
    report(path, `is ${plural(length, 'character')} long; at most ${schema.maxLength} are allowed`);
    return false;
  }
  if (schema.minLength !== undefined && length < schema.minLength) {
    report(
      path,
      schema.minLength === 1 ? 'must not be empty' : `needs at least ${schema.minLength} characters`,
    );
    return false;
  }
  return true;
}

function checkInteger(schema: JsonSchema, value: number, path: string, report: Report): boolean {
  const { minimum, maximum } = schema;
  if ((minimum !== undefined && value < minimum) || (maximum !== undefined && value > maximum)) {
    const range = maximum === undefined ? `${minimum ?? 0} or more` : `from ${minimum ?? 0} to ${maximum}`;
    report(path, `${value} is out of range; use a whole number ${range}`);
    return false;
  }
  return true;
}

function checkArray(schema: JsonSchema, value: unknown[], path: string, report: Report): boolean {
  let ok = true;
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    report(path, withHint(path, `has ${value.length} items; at most ${schema.maxItems} are allowed`));
    ok = false;
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    report(
      path,
      `is empty; at least ${plural(schema.minItems, 'item')} ${schema.minItems === 1 ? 'is' : 'are'} needed`,
    );
    ok = false;
  }
  const items = schema.items;
  if (items) {
    value.forEach((item, i) => {
      if (!walkSchema(items, item, childPath(path, i), report)) ok = false;
    });
  }
  if (schema['x-kubernetes-list-type'] === 'set') {
    const seen = new Map<string, number>();
    value.forEach((item, i) => {
      const key = JSON.stringify(item);
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else
        report(
          childPath(path, i),
          `${show(item)} is listed twice (also at ${childPath(path, first)}); list it once`,
        );
    });
  }
  return ok;
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  report: Report,
): boolean {
  let ok = true;
  const keys = Object.keys(value);
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties) {
    report(path, `has ${keys.length} entries; at most ${schema.maxProperties} are allowed`);
    ok = false;
  }
  const { properties, additionalProperties } = schema;
  if (additionalProperties) {
    for (const key of keys) {
      if (!walkSchema(additionalProperties, value[key], `${path}[${key}]`, report)) ok = false;
    }
  }
  if (!properties) return ok;
  for (const key of schema.required ?? []) {
    if (value[key] !== undefined) continue;
    const enumeration = properties[key]?.enum;
    report(childPath(path, key), `is required${enumeration ? `: one of ${enumeration.join(', ')}` : ''}`);
    ok = false;
  }
  const allowed = Object.keys(properties);
  for (const key of keys) {
    const child = properties[key];
    if (child === undefined) {
      const spelling = GATEWAY_SPELLINGS[key];
      report(
        childPath(path, key),
        spelling && allowed.includes(spelling)
          ? `unknown field "${key}": that is the gateway's spelling, a WafRuleSet says "${spelling}"`
          : `unknown field "${key}"; the fields here are ${allowed.join(', ')}`,
      );
      ok = false;
    } else if (value[key] !== undefined && !walkSchema(child, value[key], childPath(path, key), report)) {
      ok = false;
    }
  }
  return ok;
}
