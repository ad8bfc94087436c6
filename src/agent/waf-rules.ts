/**
 * WAF_RULES payloads → the gateway's files. Each resource carries one compiled WafRuleSet (the
 * payload of the domain's compileRuleSet: `name`, `priority`, `mode`, `rules` in the gateway's
 * model, `ipAllowList`, `ipDenyList`; a bare rule file `{ version, rules }` is accepted too).
 * The agent checks every value the way the gateway will read it, merges the resources with the
 * domain's mergeRuleSets (priority, then namespace/name; identical rules once; IP lists united)
 * and renders waf-rules.yaml in the gateway's key names and layout, and the IP lists in
 * waf-ip-lists.yaml under the key names of the gateway.yaml `waf` section.
 */
import { stringify } from 'yaml';
import { RULE_ID, WAF_FIELD, matches } from '../api/v1alpha1/checks/names.js';
import { DEFAULT_MODE, DEFAULT_PRIORITY } from '../domain/waf/compile.js';
import { normaliseIpList, parseEntry } from '../domain/waf/ip.js';
import { isMerged, mergeRuleSets } from '../domain/waf/merge.js';
import { regexProblems } from '../domain/waf/regex-check.js';
import { patternsOf } from '../domain/waf/validate.js';
import {
  ACTION_TYPES,
  MODES,
  OPERATORS,
  SEVERITIES,
  type GatewayAction,
  type GatewayCondition,
  type GatewayRule,
  type RuleSetContent,
} from '../domain/waf/model.js';
import type { ResourceError } from '../generated/gateway/worker/v1/agent.js';
import {
  PayloadProblem,
  array,
  boolean,
  object,
  oneOf,
  parseJson,
  string,
  stringMap,
  type JsonObject,
} from './json-checks.js';

export { ACTION_TYPES, OPERATORS, SEVERITIES };
export type WafCondition = GatewayCondition;
export type WafAction = GatewayAction;
export type WafRule = GatewayRule;

export interface WafRuleFile {
  version: string;
  rules: readonly WafRule[];
}

export const WAF_RULES_FILE = 'waf-rules.yaml';
export const WAF_IP_LISTS_FILE = 'waf-ip-lists.yaml';

/** What the gateway's f64 parse accepts for greater_than / less_than, minus inf and NaN. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const U32_MAX = 2 ** 32 - 1;
const PAYLOAD_KEYS = ['version', 'name', 'priority', 'mode', 'rules', 'ipAllowList', 'ipDenyList'];

/**
 * One resource's payload as a compiled rule set; throws PayloadProblem naming the first bad
 * value. `resource` names the rule set when the payload does not.
 */
export function parseWafPayload(payload: unknown, resource: string): RuleSetContent {
  const file = object(payload, '', PAYLOAD_KEYS);
  string(file, 'version', '', '');
  const priority = file.priority ?? DEFAULT_PRIORITY;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 0 || priority > 1000) {
    throw new PayloadProblem('priority: must be a whole number from 0 to 1000');
  }
  return {
    name: string(file, 'name', '', resource),
    priority,
    mode: file.mode === undefined ? DEFAULT_MODE : oneOf(file, 'mode', '', MODES),
    rules: parseRules(file.rules),
    ipAllowList: parseIpList(file.ipAllowList, 'ipAllowList'),
    ipDenyList: parseIpList(file.ipDenyList, 'ipDenyList'),
  };
}

/** A rule file `{ version, rules }` alone, as the gateway reads waf-rules.yaml. */
export function parseWafRuleFile(payload: unknown): WafRuleFile {
  const file = object(payload, '', ['version', 'rules']);
  return {
    version: string(file, 'version', '', ''),
    rules: parseRules(file.rules),
  };
}

/**
 * The gateway's IP filter silently skips an entry it cannot parse, which could leave an allow
 * list empty (everyone admitted): every entry must parse here, or the update is refused.
 */
function parseIpList(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  return normaliseIpList(
    array(value, path).map((entry, i) => {
      if (typeof entry !== 'string' || !parseEntry(entry)) {
        throw new PayloadProblem(`${path}[${i}]: ${JSON.stringify(entry)} is not an IP address or CIDR`);
      }
      if (/\/0$/.test(entry)) {
        throw new PayloadProblem(`${path}[${i}]: "${entry}": the gateway computes a /0 mask wrongly`);
      }
      return entry;
    }),
  );
}

/** The rules, their regexes compiled together first (one engine set is far cheaper than many). */
function parseRules(value: unknown): WafRule[] {
  const rules = array(value, 'rules');
  const invalid = regexProblems(patternsOf(rules));
  return rules.map((rule, i) => parseRule(rule, `rules[${i}]`, invalid));
}

function parseRule(value: unknown, path: string, invalid: ReadonlyMap<string, string>): WafRule {
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
    conditions: conditions.map((c, i) => parseCondition(c, `${path}.conditions[${i}]`, invalid)),
    action: parseAction(rule.action, `${path}.action`),
    metadata: stringMap(rule, 'metadata', path),
  };
}

function parseCondition(value: unknown, path: string, invalid: ReadonlyMap<string, string>): WafCondition {
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
    const problem = invalid.get(text);
    if (problem) throw new PayloadProblem(`${path}.value: ${problem}`);
  }
  if ((operator === 'greater_than' || operator === 'less_than') && !NUMBER.test(text)) {
    throw new PayloadProblem(`${path}.value: "${text}" must be a number for ${operator}`);
  }
  return { field, operator, value: text, case_sensitive: boolean(condition, 'case_sensitive', path) };
}

function parseAction(value: unknown, path: string): WafAction {
  const action = object(value, path, ['action_type', 'message', 'score', 'metadata']);
  const parsed = {
    action_type: oneOf(action, 'action_type', path, ACTION_TYPES),
    message: string(action, 'message', path, ''),
    metadata: stringMap(action, 'metadata', path),
  };
  const score = action.score;
  if (score === undefined || score === null) return parsed;
  // The gateway reads score as Option<u32>.
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > U32_MAX) {
    throw new PayloadProblem(`${path}.score: must be a whole number from 0 to ${U32_MAX}`);
  }
  return { ...parsed, score };
}

export interface WafFile {
  readonly file: string;
  readonly content: string;
}

/**
 * Every resource checked and merged; the files to write, in the order to write them (the IP
 * lists first: waf-rules.yaml carries the version an agent reads back after a restart), or every
 * problem found, per resource.
 */
export function buildWafFiles(
  version: string,
  resources: readonly { readonly name: string; readonly payload: Uint8Array }[],
):
  | { errors: ResourceError[] }
  | { files: WafFile[]; lists: { readonly allow: readonly string[]; readonly deny: readonly string[] } } {
  const errors: ResourceError[] = [];
  const resourceOf = new Map<string, string>();
  const sets = resources.flatMap((r) => {
    try {
      const set = parseWafPayload(parseJson(r.payload), r.name);
      resourceOf.set(set.name, r.name);
      return [set];
    } catch (error) {
      errors.push({ name: r.name, message: (error as Error).message });
      return [];
    }
  });
  if (errors.length > 0) return { errors };
  const merged = mergeRuleSets(sets);
  if (!isMerged(merged)) {
    return {
      errors: merged.conflicts.flatMap((conflict) =>
        [...new Set(conflict.ruleSets)].map((set) => ({
          name: resourceOf.get(set) ?? set,
          message: conflict.message,
        })),
      ),
    };
  }
  return {
    files: [
      { file: WAF_IP_LISTS_FILE, content: renderIpListsYaml(version, merged.ipAllowList, merged.ipDenyList) },
      { file: WAF_RULES_FILE, content: renderWafRulesYaml({ version, rules: merged.rules }) },
    ],
    lists: { allow: merged.ipAllowList, deny: merged.ipDenyList },
  };
}

const HEADER = '# Written by gateway-worker agent; replaced on the next update, do not edit.\n';

function yaml(model: JsonObject): string {
  return stringify(model, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0 });
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
      conditions: rule.conditions.map((c) => ({
        field: c.field,
        operator: c.operator,
        value: c.value,
        case_sensitive: c.case_sensitive,
      })),
      action: {
        action_type: rule.action.action_type,
        message: rule.action.message,
        ...(rule.action.score === undefined ? {} : { score: rule.action.score }),
        metadata: { ...rule.action.metadata },
      },
      metadata: { ...rule.metadata },
    })),
  } satisfies JsonObject;
  return HEADER + yaml(model);
}

/** The IP lists under the gateway.yaml `waf` section's key names. */
export function renderIpListsYaml(
  version: string,
  allow: readonly string[],
  deny: readonly string[],
): string {
  return HEADER + yaml({ version, ip_whitelist: [...allow], ip_blacklist: [...deny] });
}
