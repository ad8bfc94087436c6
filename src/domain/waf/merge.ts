/**
 * The rule sets that select one gateway, merged into what it applies: rule sets in (priority,
 * then `namespace/name`) order, each keeping its rules' order; a rule defined identically by
 * several rule sets is kept once (where it first appears); IP allow and deny lists are unions.
 * The result is canonical — the same rule sets in any order give byte-identical output — and
 * versioned by its content hash.
 */
import { canonicalJson, contentHash } from './canonical.js';
import { normaliseIpList } from './ip.js';
import type { GatewayRule, RuleSetContent, WafBundle, WafConflict } from './model.js';

export function compareRuleSets(a: RuleSetContent, b: RuleSetContent): number {
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  // Only two copies of one name can tie; any fixed order keeps the output canonical.
  const content = (s: RuleSetContent): string =>
    canonicalJson({ mode: s.mode, rules: s.rules, ipAllowList: s.ipAllowList, ipDenyList: s.ipDenyList });
  const [x, y] = [content(a), content(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The merged bundle, or the rule ids that two rule sets define differently. */
export function mergeRuleSets(sets: readonly RuleSetContent[]): WafBundle | { conflicts: WafConflict[] } {
  const ordered = [...sets].sort(compareRuleSets);
  const seen = new Map<string, { owner: string; content: string }>();
  const rules: GatewayRule[] = [];
  const conflicts: WafConflict[] = [];
  for (const set of ordered) {
    for (const rule of set.rules) {
      const content = canonicalJson(rule);
      const first = seen.get(rule.id);
      if (!first) {
        seen.set(rule.id, { owner: set.name, content });
        rules.push(rule);
      } else if (first.content !== content) {
        conflicts.push({
          rule: rule.id,
          ruleSets: [first.owner, set.name],
          message:
            `rule "${rule.id}" is defined differently in ${first.owner} and ${set.name}; ` +
            'rename one of them, or make both definitions identical so that it is applied once',
        });
      }
    }
  }
  if (conflicts.length > 0) return { conflicts };
  const policy = {
    rules,
    ipAllowList: normaliseIpList(ordered.flatMap((s) => s.ipAllowList)),
    ipDenyList: normaliseIpList(ordered.flatMap((s) => s.ipDenyList)),
  };
  return { version: contentHash(canonicalJson(policy)), ruleSets: ordered.map((s) => s.name), ...policy };
}

export function isMerged(result: WafBundle | { conflicts: WafConflict[] }): result is WafBundle {
  return !('conflicts' in result);
}
