/**
 * The WAF compiler: validate and compile a WafRuleSet, merge the rule sets that select a gateway,
 * evaluate requests with the gateway's semantics, run a rule set's tests, import the gateway's
 * own rule file. Pure: no Kubernetes, no network.
 */
export { canonicalBytes, canonicalJson, contentHash } from './canonical.js';
export {
  DEFAULT_MODE,
  DEFAULT_PRIORITY,
  MAX_COMPILED_BYTES,
  compileRuleSet,
  compileRuleSets,
  isCompiled,
  ruleSetContent,
  toGatewayRule,
  wafResourceName,
  type RuleSetSource,
} from './compile.js';
export { createEvaluator, type Evaluator } from './evaluate.js';
export { WafImportError, importGatewayRuleFile, type WafImport, type WafRuleSetManifest } from './import.js';
export { normaliseIpList } from './ip.js';
export { compareRuleSets, isMerged, mergeRuleSets } from './merge.js';
export * from './model.js';
export { describeFailure, runTests } from './run-tests.js';
export { validateSpec } from './validate.js';
