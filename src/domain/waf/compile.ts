/**
 * WafRuleSet spec → the gateway's rule model. The CRD's defaults are applied here too (the API
 * server applies them on write, but an object may predate a default or come from a file), a
 * DetectOnly rule set has its blocking actions turned into `log`, and the IP lists are
 * normalised. The result is canonical JSON, hashed: the same spec always compiles to the same
 * bytes and hash, whatever order its maps were read in.
 */
import { canonicalBytes, contentHash } from './canonical.js';
import { normaliseIpList } from './ip.js';
import type {
  CompiledRuleSet,
  GatewayRule,
  RuleSetContent,
  WafMode,
  WafProblem,
  WafRuleSetSpecInput,
} from './model.js';
import { validateSpec } from './validate.js';

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

/** One CRD rule in the gateway's model, with the CRD defaults and the mode applied. */
export function toGatewayRule(rule: RuleInput, mode: WafMode): GatewayRule {
  const type = rule.action.type;
  // DetectOnly: the gateway records what would have been blocked and lets the request through.
  const detectOnly = mode === 'DetectOnly' && type !== 'log';
  return {
    id: rule.id,
    name: rule.name ?? '',
    description: rule.description ?? '',
    severity: rule.severity ?? 'medium',
    enabled: rule.enabled ?? true,
    conditions: rule.conditions.map((c) => ({
      field: c.field,
      operator: c.operator,
      value: c.value,
      case_sensitive: c.caseSensitive ?? false,
    })),
    action: {
      action_type: detectOnly ? 'log' : type,
      message: rule.action.message ?? '',
      score: rule.action.score ?? 0,
      metadata: detectOnly ? { detect_only: type } : {},
    },
    metadata: {},
  };
}

/** The payload's content: what an agent reads back and merges. */
export function ruleSetContent(source: RuleSetSource): RuleSetContent {
  const { spec } = source;
  const mode = spec.mode ?? DEFAULT_MODE;
  return {
    name: `${source.namespace}/${source.name}`,
    priority: spec.priority ?? DEFAULT_PRIORITY,
    mode,
    rules: (spec.rules ?? []).map((rule) => toGatewayRule(rule, mode)),
    // The gateway's IP filter cannot log instead of blocking, so DetectOnly does not enforce the lists.
    ipAllowList: mode === 'DetectOnly' ? [] : normaliseIpList(spec.ipAllowList ?? []),
    ipDenyList: mode === 'DetectOnly' ? [] : normaliseIpList(spec.ipDenyList ?? []),
  };
}

/** Validates and compiles; problems instead of a result when the spec is not valid. */
export function compileRuleSet(source: RuleSetSource): CompiledRuleSet | { problems: WafProblem[] } {
  const problems = validateSpec(source.spec);
  if (problems.length > 0) return { problems };
  const content = ruleSetContent(source);
  const payload = canonicalBytes(content);
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
