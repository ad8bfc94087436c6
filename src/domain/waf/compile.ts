/**
 * WafRuleSet spec → the gateway's rule model. The CRD's defaults are applied here too (the API
 * server applies them on write, but an object may predate a default or come from a file), a
 * DetectOnly rule set has its blocking actions turned into `log`, and the IP lists are
 * normalised. The result is canonical JSON, hashed: the same spec always compiles to the same
 * bytes and hash, whatever order its maps were read in.
 */
import { contentHash } from './canonical.js';
import { normaliseIpList } from './ip.js';
import type {
  CompiledRuleSet,
  GatewayRule,
  RuleSetContent,
  WafMode,
  WafProblem,
  WafRuleSetSpecInput,
} from './model.js';
import { regexProblems } from './regex-check.js';
import { patternsOf, validateSpec } from './validate.js';

/**
 * A compiled revision is stored in a ConfigMap (1 MiB at most, with its metadata) and pushed in
 * one gRPC message; this leaves room for both.
 */
export const MAX_COMPILED_BYTES = 800_000;

export const DEFAULT_PRIORITY = 100;
export const DEFAULT_MODE: WafMode = 'Block';

export interface RuleSetSource {
  readonly namespace: string;
  readonly name: string;
  readonly spec: WafRuleSetSpecInput;
}

type RuleInput = NonNullable<WafRuleSetSpecInput['rules']>[number];

/**
 * Name of the pushed WAF_RULES resource. Priorities are 0..1000, so four digits sort them; then
 * `namespace/name`, compared as a string like {@link compareRuleSets} does. Sorting names thus
 * sorts resources into evaluation order.
 */
export function wafResourceName(namespace: string, name: string, priority: number): string {
  return `${String(priority).padStart(4, '0')}.${namespace}/${name}`;
}

/**
 * One CRD rule in the gateway's model, with the CRD defaults and the mode applied. Keys are
 * written in code-unit order here and in {@link ruleSetContent}, so that JSON.stringify of the
 * result already is its canonical JSON: serialising 10,000 rules is then native work, not a sort
 * per object (the tests check the two agree).
 */
export function toGatewayRule(rule: RuleInput, mode: WafMode): GatewayRule {
  const type = rule.action.type;
  // DetectOnly: the gateway records what would have been blocked and lets the request through.
  const detectOnly = mode === 'DetectOnly' && type !== 'log';
  return {
    action: {
      action_type: detectOnly ? 'log' : type,
      message: rule.action.message ?? '',
      metadata: detectOnly ? { detect_only: type } : {},
      score: rule.action.score ?? 0,
    },
    conditions: rule.conditions.map((c) => ({
      case_sensitive: c.caseSensitive ?? false,
      field: c.field,
      operator: c.operator,
      value: c.value,
    })),
    description: rule.description ?? '',
    enabled: rule.enabled ?? true,
    id: rule.id,
    metadata: {},
    name: rule.name ?? '',
    severity: rule.severity ?? 'medium',
  };
}

/** The payload's content: what an agent reads back and merges (keys in code-unit order). */
export function ruleSetContent(source: RuleSetSource): RuleSetContent {
  const { spec } = source;
  const mode = spec.mode ?? DEFAULT_MODE;
  // The gateway's IP filter cannot log instead of blocking, so DetectOnly does not enforce the lists.
  const enforced = mode !== 'DetectOnly';
  return {
    ipAllowList: enforced ? normaliseIpList(spec.ipAllowList ?? []) : [],
    ipDenyList: enforced ? normaliseIpList(spec.ipDenyList ?? []) : [],
    mode,
    name: `${source.namespace}/${source.name}`,
    priority: spec.priority ?? DEFAULT_PRIORITY,
    rules: (spec.rules ?? []).map((rule) => toGatewayRule(rule, mode)),
  };
}

/** Validates and compiles; problems instead of a result when the spec is not valid. */
export function compileRuleSet(source: RuleSetSource): CompiledRuleSet | { problems: WafProblem[] } {
  const problems = validateSpec(source.spec);
  if (problems.length > 0) return { problems };
  const content = ruleSetContent(source);
  const payload = new TextEncoder().encode(JSON.stringify(content));
  if (payload.length > MAX_COMPILED_BYTES) {
    return {
      problems: [
        {
          path: 'spec.rules',
          message:
            `the compiled rule set is ${payload.length} bytes; a revision must stay under ` +
            `${MAX_COMPILED_BYTES} bytes (it is stored in a ConfigMap); move rules to another WafRuleSet`,
        },
      ],
    };
  }
  return { ...content, hash: contentHash(payload), ruleCount: content.rules.length, payload };
}

export function isCompiled(result: CompiledRuleSet | { problems: WafProblem[] }): result is CompiledRuleSet {
  return !('problems' in result);
}

/**
 * Many rule sets at once, as after a restart: their regexes are checked together first, in
 * large sets that share the engine's work, then each rule set compiles as on its own.
 */
export function compileRuleSets(
  sources: readonly RuleSetSource[],
): (CompiledRuleSet | { problems: WafProblem[] })[] {
  regexProblems(sources.flatMap((s) => patternsOf(s.spec.rules ?? [])));
  return sources.map(compileRuleSet);
}
