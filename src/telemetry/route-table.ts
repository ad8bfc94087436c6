/**
 * The routes the gateways serve, as the RouteConfig controller last compiled them, turned into a
 * {@link RouteMatcher} for the processor. Rebuilt lazily, only when some RouteConfig's served
 * version changed, so a busy processor never parses payloads it already has.
 */
import { RouteMatcher, type ServedRouteConfig } from '../domain/telemetry/route-matcher.js';
import type { RoutesPayload } from '../domain/routes/types.js';

export class RouteTable {
  private served: ReadonlyMap<string, { readonly version: string; readonly payload: Uint8Array }> = new Map();
  private built: { versions: string; matcher: RouteMatcher } | undefined;
  private readonly parsed = new Map<string, { version: string; payload: RoutesPayload }>();

  /** The controller's onServing callback. */
  readonly update = (
    served: ReadonlyMap<string, { readonly version: string; readonly payload: Uint8Array }>,
  ): void => {
    this.served = served;
  };

  current(): RouteMatcher {
    const versions = [...this.served]
      .map(([key, s]) => `${key}@${s.version}`)
      .sort()
      .join(',');
    if (this.built?.versions === versions) return this.built.matcher;
    const configs: ServedRouteConfig[] = [];
    for (const [key, served] of this.served) {
      let parsed = this.parsed.get(key);
      if (parsed?.version !== served.version) {
        parsed = {
          version: served.version,
          payload: JSON.parse(Buffer.from(served.payload).toString('utf8')) as RoutesPayload,
        };
        this.parsed.set(key, parsed);
      }
      configs.push({ key, payload: parsed.payload });
    }
    for (const key of this.parsed.keys()) if (!this.served.has(key)) this.parsed.delete(key);
    // The old matcher may still be in use by a transaction in flight: its regexes are left to GC.
    this.built = { versions, matcher: new RouteMatcher(configs) };
    return this.built.matcher;
  }
}
