/**
 * Validation of a WafRuleSet spec before it is compiled: the CRD's structure and limits (read
 * off its schema), then what the API server cannot check — each regex compiled by the gateway's
 * own engine (rregex), numeric operators on numeric fields only, CIDRs the gateway's IP filter
 * reads correctly, unique ids. Every problem names the rule and the path, and says what is
 * allowed.
 */
import { IP_OR_CIDR_HINT, isCIDR, isIP } from '../../api/v1alpha1/checks/network.js';
import { METHOD, RULE_ID, WAF_FIELD, matches } from '../../api/v1alpha1/checks/names.js';
import type { JsonSchema } from '../../api/v1alpha1/schema/builder.js';
import { wafRuleSetKind } from '../../api/v1alpha1/wafruleset.js';
import { NUMERIC_OPERATORS, type WafProblem } from './model.js';
import { regexProblems } from './regex-check.js';
import { childPath, isRecord, show, walkSchema } from './schema-walk.js';

export const FIELD_HINT =
  'use uri, method, ip, user_agent, content_type, content_length, header.<Name> or query.<name>';

const SPEC_SCHEMA: JsonSchema = (() => {
  const spec = wafRuleSetKind.root.json.properties?.spec;
  if (!spec) throw new Error('the WafRuleSet schema has no spec');
  return spec;
})();

type Add = (path: string, message: string) => void;

/** Every problem of a spec, in document order within each kind of check. */
export function validateSpec(spec: unknown): WafProblem[] {
  const problems: WafProblem[] = [];
  const ruleIds = isRecord(spec) && Array.isArray(spec.rules) ? spec.rules : [];
  const testNames = isRecord(spec) && Array.isArray(spec.tests) ? spec.tests : [];
  const add: Add = (path, message) => {
    problems.push({ ...owner(path, ruleIds, testNames), path, message });
  };
  walkSchema(SPEC_SCHEMA, spec, 'spec', add);
  if (!isRecord(spec)) return problems;
  if (Array.isArray(spec.rules)) checkRules(spec.rules, add);
  for (const key of ['ipAllowList', 'ipDenyList'] as const) {
    const list = spec[key];
    if (Array.isArray(list)) checkIpList(list, `spec.${key}`, add);
  }
  if (Array.isArray(spec.tests)) checkTests(spec.tests, add);
  return problems;
}

/** The rule id or test name a path is about, when it is one. */
function owner(path: string, rules: readonly unknown[], tests: readonly unknown[]): { rule?: string } {
  const match = /^spec\.(rules|tests)\[(\d+)\]/.exec(path);
  if (!match) return {};
  const item: unknown = (match[1] === 'rules' ? rules : tests)[Number(match[2])];
  const key = match[1] === 'rules' ? 'id' : 'name';
  const value = isRecord(item) ? item[key] : undefined;
  return typeof value === 'string' && value !== '' ? { rule: value } : {};
}

/** Every regex of the rules, for one batched check. */
export function patternsOf(rules: readonly unknown[]): string[] {
  return rules.flatMap((rule) =>
    isRecord(rule) && Array.isArray(rule.conditions)
      ? rule.conditions.flatMap((c: unknown) =>
          isRecord(c) && c.operator === 'regex' && typeof c.value === 'string' ? [c.value] : [],
        )
      : [],
  );
}

function checkRules(rules: readonly unknown[], add: Add): void {
  const invalid = regexProblems(patternsOf(rules));
  const firstIndex = new Map<string, number>();
  rules.forEach((rule, i) => {
    const path = childPath('spec.rules', i);
    if (!isRecord(rule)) return;
    const id = rule.id;
    if (typeof id === 'string') {
      if (!matches(RULE_ID, id)) {
        add(
          `${path}.id`,
          `${show(id)} is not a valid rule id; use letters, digits, '_', '-' and '.', starting and ending with a letter or digit`,
        );
      }
      const first = firstIndex.get(id);
      if (first === undefined) firstIndex.set(id, i);
      else
        add(`${path}.id`, `rule id ${show(id)} is already used by spec.rules[${first}]; ids must be unique`);
    }
    if (Array.isArray(rule.conditions)) {
      rule.conditions.forEach((condition, j) => {
        if (isRecord(condition)) checkCondition(condition, `${path}.conditions[${j}]`, invalid, add);
      });
    }
  });
}

function checkCondition(
  condition: Record<string, unknown>,
  path: string,
  invalid: ReadonlyMap<string, string>,
  add: Add,
): void {
  const { field, operator, value } = condition;
  if (typeof field === 'string' && !matches(WAF_FIELD, field)) {
    add(`${path}.field`, `${show(field)} is not a request field the gateway reads; ${FIELD_HINT}`);
  }
  if (typeof operator !== 'string' || typeof value !== 'string') return;
  if ((NUMERIC_OPERATORS as readonly string[]).includes(operator)) {
    if (typeof field === 'string' && field !== 'content_length') {
      add(
        `${path}.operator`,
        `${operator} compares numbers and works on content_length only, not on ${field}; ` +
          'use equals, contains, starts_with, ends_with or regex for text',
      );
    }
    if (!/^[0-9]+$/.test(value)) {
      add(
        `${path}.value`,
        `${show(value)} is not a number of bytes; ${operator} needs digits only, e.g. 1048576`,
      );
    }
  }
  if (operator === 'regex') {
    const problem = invalid.get(value);
    if (problem) add(`${path}.value`, `${problem}; patterns use the gateway's Rust regex syntax`);
  }
}

/** Why an IP-list entry is wrong, as precisely as can be said. */
function ipEntryProblem(entry: string): string | undefined {
  if (isIP(entry)) return undefined;
  if (isCIDR(entry)) {
    if (/\/0$/.test(entry)) {
      return (
        `${show(entry)} would cover every client, and the gateway computes a /0 mask wrongly; ` +
        'use prefixes from /1 (for IPv4 0.0.0.0/1 and 128.0.0.0/1 together cover everything)'
      );
    }
    return undefined;
  }
  const [address = '', bits, ...more] = entry.split('/');
  if (more.length === 0 && bits !== undefined && isIP(address)) {
    const max = address.includes(':') ? 128 : 32;
    return `${show(entry)} has prefix length ${show(bits)}; an IPv${max === 32 ? 4 : 6} prefix is a number from 1 to ${max}`;
  }
  if (/^::ffff:/i.test(address)) {
    return `${show(entry)} is an IPv4-mapped IPv6 address; write the IPv4 address itself`;
  }
  if (address.includes('%')) return `${show(entry)} has an IPv6 zone; zones are not allowed`;
  if (/(^|\.)0\d/.test(address) && !address.includes(':')) {
    return `${show(entry)} has a leading zero in an IPv4 octet; write 10.0.0.1, not 010.0.0.1`;
  }
  return `${show(entry)} ${IP_OR_CIDR_HINT}`;
}

function checkIpList(list: readonly unknown[], path: string, add: Add): void {
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const problem = ipEntryProblem(entry);
    if (problem) add(childPath(path, i), problem);
  });
}

function checkTests(tests: readonly unknown[], add: Add): void {
  const firstIndex = new Map<string, number>();
  tests.forEach((test, i) => {
    const path = childPath('spec.tests', i);
    if (!isRecord(test)) return;
    if (typeof test.name === 'string') {
      const first = firstIndex.get(test.name);
      if (first === undefined) firstIndex.set(test.name, i);
      else
        add(
          `${path}.name`,
          `test name ${show(test.name)} is already used by spec.tests[${first}]; names must be unique`,
        );
    }
    const request = test.request;
    if (!isRecord(request)) return;
    if (typeof request.method === 'string' && !matches(METHOD, request.method)) {
      add(
        `${path}.request.method`,
        `${show(request.method)} is not an HTTP method; use upper case letters, e.g. GET`,
      );
    }
    if (typeof request.ip === 'string' && !isIP(request.ip)) {
      add(
        `${path}.request.ip`,
        `${show(request.ip)} is not an IP address; use e.g. 203.0.113.7 or 2001:db8::7`,
      );
    }
  });
}
