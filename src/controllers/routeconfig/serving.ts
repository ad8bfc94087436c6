/**
 * What each RouteConfig puts on the gateways (pure). A valid spec is served as it is. An invalid
 * one is not: its last valid version stays in service, compiled again with today's Services,
 * EndpointSlices, Certificates and rule sets (the same bytes as before when none of them moved),
 * or, when that version no longer compiles, its stored payload as it was. Only a RouteConfig that
 * never had a valid version ships the valid part of its spec. Conflicts are decided over what is
 * actually served.
 */
import type { RouteConfigSpec } from '../../api/v1alpha1/index.js';
import { compileRoutes, type CompileInput, type RouteConfigResult } from '../../domain/routes/index.js';
import type { StoredRoutes } from './revisions.js';

/** The last valid version of a RouteConfig: remembered since it was served, or read from its revision. */
export interface LastGood extends StoredRoutes {
  /** The stored revision it came from; undefined while only this process knows it. */
  readonly revision: number | undefined;
  readonly generation: number;
}

export interface ServedRoutes {
  readonly selector: RouteConfigSpec['gatewaySelector'];
  readonly name: string;
  readonly version: string;
  readonly payload: Uint8Array;
}

export interface RouteConfigPlan {
  /** What to publish; undefined: nothing (a RouteConfig with nothing valid to serve). */
  readonly served: ServedRoutes | undefined;
  /** The result its status is written from: the current spec's problems, what is served otherwise. */
  readonly result: RouteConfigResult;
  /** The last valid version in service instead of the current spec, when it is. */
  readonly lastGood: LastGood | undefined;
  /** The current spec is valid and served: it should be stored as a revision. */
  readonly current: boolean;
}

/**
 * `current` is the compile of `input` as it is; `lastGood` holds, for RouteConfigs whose spec is
 * invalid, their last valid version. Keyed by 'namespace/name'.
 */
export function planServing(
  input: CompileInput,
  current: ReadonlyMap<string, RouteConfigResult>,
  lastGood: ReadonlyMap<string, LastGood>,
): Map<string, RouteConfigPlan> {
  const specs = new Map<string, RouteConfigSpec>();
  const routeConfigs = input.routeConfigs.map((rc) => {
    const key = `${rc.namespace}/${rc.name}`;
    const spec = lastGood.get(key)?.spec ?? rc.spec;
    specs.set(key, spec);
    return spec === rc.spec ? rc : { ...rc, spec };
  });
  const served = lastGood.size === 0 ? current : compileRoutes({ ...input, routeConfigs });
  const plans = new Map<string, RouteConfigPlan>();
  for (const [key, now] of current) {
    const spec = specs.get(key);
    const result = served.get(key);
    if (!spec || !result) continue;
    const good = lastGood.get(key);
    const publish = (r: { payload: Uint8Array; hash: string }): ServedRoutes => ({
      selector: spec.gatewaySelector,
      name: now.resourceName,
      version: r.hash,
      payload: r.payload,
    });
    if (now.valid || !good) {
      const shipped = now.valid || result.routesShipped > 0;
      plans.set(key, {
        served: shipped ? publish(result) : undefined,
        result,
        lastGood: undefined,
        current: now.valid,
      });
    } else if (result.valid) {
      plans.set(key, { served: publish(result), result: now, lastGood: good, current: false });
    } else if (good.payload) {
      const { bytes, version } = good.payload;
      plans.set(key, {
        served: publish({ payload: bytes, hash: version }),
        result: now,
        lastGood: good,
        current: false,
      });
    } else {
      // The stored spec no longer compiles and its payload was too large to keep: nothing good is left.
      const shipped = now.routesShipped > 0;
      plans.set(key, {
        served: shipped ? publish(now) : undefined,
        result: now,
        lastGood: undefined,
        current: false,
      });
    }
  }
  return plans;
}
