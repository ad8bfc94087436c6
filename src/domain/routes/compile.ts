/**
 * The route compiler: every RouteConfig, the Services and EndpointSlices, and the available
 * Certificates and WafRuleSets in; per RouteConfig its conditions, problems and canonical,
 * content-hashed payload out. Pure and deterministic: the same inputs in any order give
 * byte-identical payloads. Steps: prepare (validate and canonicalise each spec), claim (conflicts
 * across RouteConfigs), assemble (resolve references), render. Preparing and rendering are
 * memoised per spec object, so a recompile after one EndpointSlice changed re-renders only the
 * RouteConfigs using that Service: pass the informer's objects, which are never mutated.
 */
import type { RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { contentVersion } from '../snapshot/snapshot.js';
import { assemblePayload, assemblyInputs, type Assembled } from './assemble.js';
import { resolveConflicts, type ClaimOutcome } from './conflicts.js';
import { compareStrings } from './match.js';
import { objectKey, routeResourceName } from './names.js';
import { prepareRoutes, type PreparedConfig } from './prepare.js';
import type {
  CompileInput,
  CompileResult,
  ConditionResult,
  RouteConfigResult,
  RouteConflict,
  RouteProblem,
  UnresolvedReference,
} from './types.js';

const prepared = new WeakMap<RouteConfigSpec, PreparedConfig>();
/** The last result per spec object and what it was made from: an unchanged RouteConfig is not rebuilt. */
const compiled = new WeakMap<
  RouteConfigSpec,
  { readonly inputs: readonly unknown[]; readonly result: RouteConfigResult }
>();

/** Validation and canonical routes of a spec; the informer's unchanged object is prepared once. */
export function prepare(spec: RouteConfigSpec): PreparedConfig {
  let result = prepared.get(spec);
  if (!result) {
    result = prepareRoutes(spec);
    prepared.set(spec, result);
  }
  return result;
}

export function compileRoutes(input: CompileInput): CompileResult {
  const claimants = input.routeConfigs.map((source) => ({
    source,
    key: objectKey(source.namespace, source.name),
    creationTimestamp: source.creationTimestamp,
    prepared: prepare(source.spec),
  }));
  const keys = new Set<string>();
  for (const { key } of claimants) {
    if (keys.has(key)) throw new Error(`RouteConfig ${key} is given twice`);
    keys.add(key);
  }
  const outcomes = resolveConflicts(claimants);
  const results = new Map<string, RouteConfigResult>();
  for (const claimant of [...claimants].sort((a, b) => compareStrings(a.key, b.key))) {
    const { source, key } = claimant;
    const outcome = outcomes.get(key) ?? { kept: [], conflicts: [] };
    const inputs = [
      key,
      source.generation,
      ...outcome.conflicts.flatMap((c) => [c.route, c.match, c.winner, c.winnerRoute]),
      ...assemblyInputs(source.namespace, claimant.prepared, outcome.kept, input),
    ];
    const last = compiled.get(source.spec);
    if (last && sameValues(last.inputs, inputs)) {
      results.set(key, last.result);
      continue;
    }
    const assembled = assemblePayload(source.namespace, claimant.prepared, outcome.kept, input);
    const fresh = result(
      key,
      source.namespace,
      source.name,
      source.generation,
      claimant.prepared,
      outcome,
      assembled,
    );
    compiled.set(source.spec, { inputs, result: fresh });
    results.set(key, fresh);
  }
  return results;
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function result(
  key: string,
  namespace: string,
  name: string,
  generation: number,
  config: PreparedConfig,
  outcome: ClaimOutcome,
  assembled: Assembled,
): RouteConfigResult {
  const payload = new TextEncoder().encode(JSON.stringify(assembled.payload));
  const shipped = assembled.payload.routes.length;
  return {
    key,
    resourceName: routeResourceName(namespace, name),
    generation,
    accepted: acceptedCondition(config, outcome.conflicts, shipped),
    resolvedRefs: resolvedRefsCondition(assembled.unresolved, assembled.warnings),
    problems: config.problems,
    conflicts: outcome.conflicts,
    unresolved: assembled.unresolved,
    warnings: assembled.warnings,
    routesShipped: shipped,
    routesTotal: config.routesTotal,
    valid: config.problems.length === 0,
    payload,
    hash: contentVersion(payload),
    references: assembled.references,
  };
}

const MESSAGE_PROBLEMS = 5;

function describeProblems(problems: readonly RouteProblem[]): string {
  const shown = problems.slice(0, MESSAGE_PROBLEMS).map((p) => `${p.path}: ${p.message}`);
  const more = problems.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

export function describeConflict(c: RouteConflict): string {
  return (
    `route ${c.route} (${c.match}) conflicts with route ${c.winnerRoute} of RouteConfig ${c.winner}, ` +
    'which claimed it first and keeps it'
  );
}

function acceptedCondition(
  config: PreparedConfig,
  conflicts: readonly RouteConflict[],
  shipped: number,
): ConditionResult {
  const routes = `${shipped} of ${config.routesTotal} route${config.routesTotal === 1 ? '' : 's'}`;
  const serving = `${routes} shipped`;
  const conflicted = conflicts.length > 0 ? `; ${conflicts.map(describeConflict).join('; ')}` : '';
  if (config.problems.length > 0) {
    const count = `${config.problems.length} problem${config.problems.length === 1 ? '' : 's'}`;
    return {
      status: 'False',
      reason: 'Invalid',
      message: `${count}: ${describeProblems(config.problems)}${conflicted} (${routes} would ship)`,
    };
  }
  if (conflicts.length > 0) {
    return {
      status: 'False',
      reason: 'Conflicted',
      message: `${conflicts.map(describeConflict).join('; ')}; ${serving}`,
    };
  }
  return { status: 'True', reason: 'Accepted', message: `${serving} for ${config.hostnames.join(', ')}` };
}

export function describeUnresolved(u: UnresolvedReference): string {
  const many = u.routes.length > 1;
  const routes = `route${many ? 's' : ''} ${u.routes.join(', ')}`;
  const effect =
    u.kind === 'Service'
      ? `${many ? 'answer' : 'answers'} 503 for its share of requests`
      : `${many ? 'are' : 'is'} held (answering 503) until it is ${u.kind === 'Certificate' ? 'ready' : 'there'}`;
  return `${u.kind} ${u.name} ${u.reason}: ${routes} ${effect}`;
}

function resolvedRefsCondition(
  unresolved: readonly UnresolvedReference[],
  warnings: readonly string[],
): ConditionResult {
  const notes = warnings.length > 0 ? `; ${warnings.join('; ')}` : '';
  if (unresolved.length > 0) {
    return {
      status: 'False',
      reason: 'RefNotFound',
      message: unresolved.map(describeUnresolved).join('; ') + notes,
    };
  }
  return { status: 'True', reason: 'ResolvedRefs', message: `All references resolved${notes}` };
}
