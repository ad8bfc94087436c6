/**
 * The WAF's data model in three shapes: the gateway's own rule model (its waf-rules.yaml, snake
 * case, what is pushed and written), one compiled WafRuleSet (what the controller stores and
 * pushes) and the merged bundle a gateway applies when several rule sets select it.
 */
import type { InputOfKind } from '../../api/v1alpha1/schema/kind.js';
import type { wafRuleSetKind } from '../../api/v1alpha1/wafruleset.js';

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
export const NUMERIC_OPERATORS = ['greater_than', 'less_than'] as const;
export const ACTION_TYPES = ['block', 'log', 'rate_limit'] as const;
export const MODES = ['Block', 'DetectOnly'] as const;
export const OUTCOMES = ['allow', 'block', 'log', 'rate_limit'] as const;

export type Severity = (typeof SEVERITIES)[number];
export type Operator = (typeof OPERATORS)[number];
export type ActionType = (typeof ACTION_TYPES)[number];
export type WafMode = (typeof MODES)[number];
export type Outcome = (typeof OUTCOMES)[number];

/** A condition in the gateway's model (its `RuleCondition`). */
export interface GatewayCondition {
  readonly field: string;
  readonly operator: Operator;
  readonly value: string;
  readonly case_sensitive: boolean;
}

/** The gateway's `RuleAction`; `score` is its `Option<u32>`. */
export interface GatewayAction {
  readonly action_type: ActionType;
  readonly message: string;
  readonly score?: number;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The gateway's `WafRule`: every key its serde struct requires, `metadata` included. */
export interface GatewayRule {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly severity: Severity;
  readonly enabled: boolean;
  readonly conditions: readonly GatewayCondition[];
  readonly action: GatewayAction;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One thing wrong with a WafRuleSet, located like the API server locates it. */
export interface WafProblem {
  /** Id of the rule (or name of the test) concerned, when there is one. */
  readonly rule?: string;
  /** e.g. spec.rules[3].conditions[0].value */
  readonly path: string;
  readonly message: string;
}

/** What a gateway enforces: rules in order, and the IP lists of its IP filter. */
export interface WafPolicy {
  readonly rules: readonly GatewayRule[];
  /** Normalised and sorted; when not empty, only these clients are admitted. */
  readonly ipAllowList: readonly string[];
  /** Normalised and sorted; these clients are rejected. */
  readonly ipDenyList: readonly string[];
}

/** The part of a compiled rule set that merging needs; what an agent reads back from a payload. */
export interface RuleSetContent extends WafPolicy {
  /** `namespace/name` of the WafRuleSet. */
  readonly name: string;
  readonly priority: number;
  readonly mode: WafMode;
}

/** One WafRuleSet, compiled: what the controller stores as a revision and pushes. */
export interface CompiledRuleSet extends RuleSetContent {
  /** Content hash of `payload` (the same hash the push layer versions resources with). */
  readonly hash: string;
  readonly ruleCount: number;
  /** Canonical JSON of {@link RuleSetContent}: the WAF_RULES resource payload. */
  readonly payload: Uint8Array;
}

/** Every rule set selecting a gateway, merged: what that gateway applies. */
export interface WafBundle extends WafPolicy {
  /** Content hash of the canonical JSON of rules and IP lists. */
  readonly version: string;
  /** The rule sets merged, `namespace/name`, in evaluation order. */
  readonly ruleSets: readonly string[];
}

/** Two rule sets define the same rule id with different content. */
export interface WafConflict {
  readonly rule: string;
  readonly ruleSets: readonly [string, string];
  readonly message: string;
}

/** A request as spec.tests[].request describes it. */
export interface WafRequest {
  readonly method?: string;
  readonly uri: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The client address; absent means no address, which is on no IP list. */
  readonly ip?: string;
  readonly body?: string;
}

export interface Decision {
  readonly action: Outcome;
  /** The rule that blocked or rate-limited, or the last one logged. */
  readonly rule?: string;
  /** The message of that rule, or why the IP filter rejected the client. */
  readonly message?: string;
  /** Ids of the `log` rules that matched, in evaluation order. */
  readonly logged: readonly string[];
  /** Sum of the scores of the rules that matched. */
  readonly score: number;
}

/** A spec as a user may write it: the CRD defaults (server-side) may be missing. */
export type WafRuleSetSpecInput = InputOfKind<typeof wafRuleSetKind>['spec'];
export type WafTestCase = NonNullable<WafRuleSetSpecInput['tests']>[number];

export interface WafTestFailure {
  readonly name: string;
  readonly expected: Outcome;
  readonly actual: Outcome;
  /** The rule that decided, when one did. */
  readonly rule?: string;
}
