/**
 * WAF_RULES payloads → the gateway's own rule file. Each resource carries one rule-file model
 * (`{ version, rules }`, a compiled WafRuleSet); the agent checks every rule the way the gateway
 * will read it, merges the resources' rules in resource-name order and renders waf-rules.yaml in
 * the gateway's key names and layout.
 */
import { stringify } from 'yaml';
import { RULE_ID, WAF_FIELD, matches } from '../api/v1alpha1/checks/names.js';
import { regexProblem } from '../api/v1alpha1/checks/regex.js';
import {
  PayloadProblem,
  array,
  boolean,
  object,
  oneOf,
  string,
  stringMap,
  type JsonObject,
} from './json-checks.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const OPERATORS = [
  'equals',
  'contains',
  'starts_with',
  'ends_with',
  'regex',
  'greater_than',
  'less_than',
] as const;
export const ACTION_TYPES = ['block', 'log', 'rate_limit'] as const;

export interface WafCondition {
  field: string;
  operator: (typeof OPERATORS)[number];
  value: string;
  case_sensitive: boolean;
}

export interface WafAction {
  action_type: (typeof ACTION_TYPES)[number];
  message: string;
  score?: number;
  metadata: Record<string, string>;
}

export interface WafRule {
  id: string;
  name: string;
  description: string;
  severity: (typeof SEVERITIES)[number];
  enabled: boolean;
  conditions: WafCondition[];
  action: WafAction;
  metadata: Record<string, string>;
}

export interface WafRuleFile {
  version: string;
  rules: WafRule[];
}

/** What the gateway's f64 parse accepts for greater_than / less_than, minus inf and NaN. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const U32_MAX = 2 ** 32 - 1;

/** One resource's payload as a rule file; throws PayloadProblem naming the first bad value. */
export function parseWafRuleFile(payload: unknown): WafRuleFile {
  const file = object(payload, '', ['version', 'rules']);
  return {
    version: string(file, 'version', '', ''),
    rules: array(file.rules, 'rules').map((rule, i) => parseRule(rule, `rules[${i}]`)),
  };
}

function parseRule(value: unknown, path: string): WafRule {
  const rule = object(value, path, [
    'id',
    'name',
    'description',
    'severity',
    'enabled',
    'conditions',
    'action',
    'metadata',
  ]);
  const id = string(rule, 'id', path);
  if (!matches(RULE_ID, id))
    throw new PayloadProblem(`${path}.id: "${id}" must be letters, digits, '_', '-' or '.'`);
  const conditions = array(rule.conditions, `${path}.conditions`);
  if (conditions.length === 0)
    throw new PayloadProblem(`${path}.conditions: a rule needs at least one condition`);
  // Free text defaults to empty; everything that changes what the gateway does must be explicit.
  return {
    id,
    name: string(rule, 'name', path, ''),
    description: string(rule, 'description', path, ''),
    severity: oneOf(rule, 'severity', path, SEVERITIES),
    enabled: boolean(rule, 'enabled', path),
    conditions: conditions.map((c, i) => parseCondition(c, `${path}.conditions[${i}]`)),
    action: parseAction(rule.action, `${path}.action`),
    metadata: stringMap(rule, 'metadata', path),
  };
}

function parseCondition(value: unknown, path: string): WafCondition {
  const condition = object(value, path, ['field', 'operator', 'value', 'case_sensitive']);
  const field = string(condition, 'field', path);
  if (!matches(WAF_FIELD, field)) {
    throw new PayloadProblem(
      `${path}.field: "${field}" is not uri, method, ip, user_agent, content_type, content_length, header.<Name> or query.<name>`,
    );
  }
  const operator = oneOf(condition, 'operator', path, OPERATORS);
  const text = string(condition, 'value', path);
  if (operator === 'regex') {
    const problem = regexProblem(text);
    if (problem) throw new PayloadProblem(`${path}.value: ${problem}`);
  }
  if ((operator === 'greater_than' || operator === 'less_than') && !NUMBER.test(text)) {
    throw new PayloadProblem(`${path}.value: "${text}" must be a number for ${operator}`);
  }
  return { field, operator, value: text, case_sensitive: boolean(condition, 'case_sensitive', path) };
}

function parseAction(value: unknown, path: string): WafAction {
  const action = object(value, path, ['action_type', 'message', 'score', 'metadata']);
  const parsed: WafAction = {
    action_type: oneOf(action, 'action_type', path, ACTION_TYPES),
    message: string(action, 'message', path, ''),
    metadata: stringMap(action, 'metadata', path),
  };
  const score = action.score;
  if (score !== undefined && score !== null) {
    // The gateway reads score as Option<u32>.
    if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > U32_MAX) {
      throw new PayloadProblem(`${path}.score: must be a whole number from 0 to ${U32_MAX}`);
    }
    parsed.score = score;
  }
  return parsed;
}

export interface NamedRuleFile {
  readonly resource: string;
  readonly file: WafRuleFile;
}

/** Rule ids across all resources, mapped to the resources that define them more than once. */
export function duplicateRuleIds(files: readonly NamedRuleFile[]): Map<string, string[]> {
  const owners = new Map<string, string[]>();
  for (const { resource, file } of files) {
    for (const rule of file.rules) owners.set(rule.id, [...(owners.get(rule.id) ?? []), resource]);
  }
  return new Map([...owners].filter(([, list]) => list.length > 1));
}

/** One file of every resource's rules, in resource-name order, rules in their own order. */
export function mergeRuleFiles(version: string, files: readonly NamedRuleFile[]): WafRuleFile {
  const sorted = [...files].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
  return { version, rules: sorted.flatMap(({ file }) => file.rules) };
}

/**
 * The gateway's layout: its key names in its struct order, strings double-quoted as in its own
 * file (so a version like "1.0" stays a string). `metadata` is always written, if only as `{}`:
 * the gateway's serde structs declare it without a default, so a rule without it fails to load.
 */
export function renderWafRulesYaml(file: WafRuleFile): string {
  const model = {
    version: file.version,
    rules: file.rules.map((rule) => ({
      id: rule.id,
      name: rule.name,
      description: rule.description,
      severity: rule.severity,
      enabled: rule.enabled,
      conditions: rule.conditions.map((c) => ({ ...c })),
      action: {
        action_type: rule.action.action_type,
        message: rule.action.message,
        ...(rule.action.score === undefined ? {} : { score: rule.action.score }),
        metadata: rule.action.metadata,
      },
      metadata: rule.metadata,
    })),
  } satisfies JsonObject;
  return (
    '# Written by gateway-worker agent; replaced on the next update, do not edit.\n' +
    stringify(model, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 })
  );
}
