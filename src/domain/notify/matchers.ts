/**
 * Alertmanager's label matchers: `=`, `!=`, `=~` and `!~`, regular expressions anchored at both
 * ends as theirs are. A label the alert lacks reads as the empty string, as in Alertmanager, so
 * `team!=""` means "has a team label".
 */
export const MATCH_OPERATORS = ['=', '!=', '=~', '!~'] as const;
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

export interface Matcher {
  readonly label: string;
  readonly operator: MatchOperator;
  readonly value: string;
}

const compiled = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(`^(?:${pattern})$`, 'u');
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

/** Why a matcher's regular expression does not compile, or undefined. */
export function matcherProblem(matcher: Matcher): string | undefined {
  if (matcher.operator !== '=~' && matcher.operator !== '!~') return undefined;
  try {
    anchored(matcher.value);
    return undefined;
  } catch (error) {
    return `"${matcher.value}" is not a valid regular expression: ${(error as Error).message}`;
  }
}

export function matches(matcher: Matcher, labels: Readonly<Record<string, string>>): boolean {
  const value = labels[matcher.label] ?? '';
  switch (matcher.operator) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return anchored(matcher.value).test(value);
    case '!~':
      return !anchored(matcher.value).test(value);
  }
}

export function matchesAll(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>): boolean {
  return matchers.every((m) => matches(m, labels));
}
