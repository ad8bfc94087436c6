/**
 * A WafRuleSet's own tests (spec.tests) run against its compiled rules: the controller pushes a
 * revision only when every test gets the outcome it expects.
 */
import { createEvaluator } from './evaluate.js';
import type { WafPolicy, WafTestCase, WafTestFailure } from './model.js';

/** The failing tests, in spec order; empty when all pass. */
export function runTests(compiled: WafPolicy, tests: readonly WafTestCase[]): WafTestFailure[] {
  if (tests.length === 0) return [];
  const evaluator = createEvaluator(compiled);
  try {
    return tests.flatMap((test) => {
      const decision = evaluator.evaluate(test.request);
      if (decision.action === test.expect) return [];
      const rule = decision.rule ?? decision.logged[0];
      return [{ name: test.name, expected: test.expect, actual: decision.action, ...(rule ? { rule } : {}) }];
    });
  } finally {
    evaluator.dispose();
  }
}

/** One line per failure, e.g. for a condition message or the CLI. */
export function describeFailure(failure: WafTestFailure): string {
  const by = failure.rule === undefined ? '' : ` (rule ${failure.rule})`;
  return `test "${failure.name}": expected ${failure.expected}, got ${failure.actual}${by}`;
}
