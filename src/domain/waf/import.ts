/**
 * Migration from the gateway's own rule file (waf-rules.yaml: `version`, `rules[]` in snake case)
 * to a WafRuleSet manifest that compiles to the same rules: order, enabled flags, severities,
 * conditions, actions, scores and messages are kept. What the CRD cannot hold (the free-form
 * `metadata` maps) is dropped with a warning.
 */
import { parse } from 'yaml';
import { API_VERSION } from '../../api/v1alpha1/schema/kind.js';
import type { WafRuleSetSpecInput } from './model.js';
import { isRecord } from './schema-walk.js';
import { validateSpec } from './validate.js';

export interface WafRuleSetManifest {
  readonly apiVersion: string;
  readonly kind: 'WafRuleSet';
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: WafRuleSetSpecInput;
}

export interface WafImport {
  readonly manifest: WafRuleSetManifest;
  /** What could not be carried over, one sentence each. */
  readonly warnings: readonly string[];
}

/** The file cannot be turned into a valid WafRuleSet; `problems` says why, one line each. */
export class WafImportError extends Error {
  override readonly name = 'WafImportError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

type RuleInput = NonNullable<WafRuleSetSpecInput['rules']>[number];
type Raw = Record<string, unknown>;

/** Scalars as the gateway's serde `String` fields hold them; anything else is left for validation. */
function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function importGatewayRuleFile(
  yamlText: string,
  target: { readonly name: string; readonly namespace?: string },
): WafImport {
  let file: unknown;
  try {
    file = parse(yamlText);
  } catch (error) {
    const first = (error as Error).message.split('\n')[0] ?? '';
    throw new WafImportError([`not YAML: ${first.replace(/:$/, '')}`]);
  }
  if (!isRecord(file) || !Array.isArray(file.rules)) {
    throw new WafImportError(["not a gateway rule file: expected a mapping with a 'rules' list"]);
  }
  const warnings: string[] = [];
  const problems: string[] = [];
  const rules = file.rules.flatMap((raw: unknown, i): RuleInput[] => {
    if (!isRecord(raw)) {
      problems.push(`rules[${i}]: expected a mapping`);
      return [];
    }
    return [toRule(raw, i, warnings, problems)];
  });
  if (problems.length > 0) throw new WafImportError(problems);
  const spec: WafRuleSetSpecInput = { rules };
  const invalid = validateSpec(spec);
  if (invalid.length > 0) {
    throw new WafImportError(
      invalid.map(
        (p) => `${p.path.replace(/^spec\./, '')}${p.rule ? ` (rule ${p.rule})` : ''}: ${p.message}`,
      ),
    );
  }
  return {
    manifest: {
      apiVersion: API_VERSION,
      kind: 'WafRuleSet',
      metadata: { name: target.name, ...(target.namespace ? { namespace: target.namespace } : {}) },
      spec,
    },
    warnings,
  };
}

function toRule(raw: Raw, i: number, warnings: string[], problems: string[]): RuleInput {
  const id = text(raw.id) ?? '';
  const where = `rules[${i}]${id ? ` (${id})` : ''}`;
  const action = isRecord(raw.action) ? raw.action : {};
  if (!isRecord(raw.action)) problems.push(`${where}.action: expected a mapping with action_type`);
  for (const [path, metadata] of [
    ['metadata', raw.metadata],
    ['action.metadata', action.metadata],
  ] as const) {
    if (isRecord(metadata) && Object.keys(metadata).length > 0) {
      warnings.push(`${where}.${path} dropped: a WafRuleSet has no metadata on rules or actions`);
    }
  }
  const conditions = Array.isArray(raw.conditions) ? raw.conditions : [];
  if (!Array.isArray(raw.conditions)) problems.push(`${where}.conditions: expected a list`);
  const score = action.score;
  return {
    id,
    name: text(raw.name) ?? '',
    description: text(raw.description) ?? '',
    // Left as found, right or wrong: validation reports a value the CRD does not accept.
    severity: (text(raw.severity) ?? 'medium') as RuleInput['severity'],
    enabled:
      typeof raw.enabled === 'boolean'
        ? raw.enabled
        : raw.enabled === undefined || text(raw.enabled) === 'true',
    conditions: conditions.map((c: unknown) => {
      const condition = isRecord(c) ? c : {};
      return {
        field: text(condition.field) ?? '',
        operator: (text(condition.operator) ?? '') as RuleInput['conditions'][number]['operator'],
        value: text(condition.value) ?? '',
        caseSensitive: condition.case_sensitive === true,
      };
    }),
    action: {
      type: (text(action.action_type) ?? '') as RuleInput['action']['type'],
      message: text(action.message) ?? '',
      // The gateway's score is optional (no score adds nothing); the CRD's defaults to 0.
      ...(typeof score === 'number' ? { score } : {}),
    },
  };
}
