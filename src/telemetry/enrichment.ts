/**
 * Turns decoded entries into the records the aggregation takes, adding what the gateway does not
 * know or did not say: the route that served the request (from the routes the gateways were
 * given), that route's WAF rule sets, and country and ASN from GeoIP when it is configured.
 */
import type { RouteMatch } from '../domain/telemetry/route-matcher.js';
import type { AccessRecord, DropReport, SecurityEvent } from '../domain/telemetry/records.js';
import { LogType } from '../generated/gateway/worker/v1/telemetry.js';
import type { DecodedEntry } from './decode-entries.js';

export interface RouteLookup {
  match(host: string, method: string, path: string): RouteMatch | undefined;
}

export interface GeoLookup {
  /** Country ISO code and 'AS<number>', '' when unknown. */
  lookup(ip: string): { readonly country: string; readonly asn: string };
}

export const NO_GEO: GeoLookup = { lookup: () => ({ country: '', asn: '' }) };

export interface BatchSource {
  readonly gatewayId: string;
  readonly stream: string;
  readonly sequence: number;
  readonly receivedAtMs: number;
  readonly droppedAccess: number;
  readonly droppedSecurity: number;
}

export interface EnrichedBatch {
  readonly access: AccessRecord[];
  readonly security: SecurityEvent[];
  readonly drops: DropReport;
  /** Records of other types (errors, performance, system), which are counted only. */
  readonly other: number;
}

export function enrichBatch(
  batch: BatchSource,
  entries: readonly DecodedEntry[],
  routes: RouteLookup,
  geo: GeoLookup,
): EnrichedBatch {
  const access: AccessRecord[] = [];
  const security: SecurityEvent[] = [];
  let other = 0;
  for (const [index, entry] of entries.entries()) {
    // The batch's gateway is the stream's authenticated identity; an entry cannot claim another.
    const gatewayId = batch.gatewayId;
    const timeMs = entry.timeMs > 0 ? entry.timeMs : batch.receivedAtMs;
    if (entry.logType === LogType.LOG_TYPE_ACCESS && entry.request) {
      const r = entry.request;
      const path = pathOf(r.uri);
      const method = r.method.toUpperCase();
      const host = hostOf(r.host);
      const geoInfo = r.clientIp ? geo.lookup(r.clientIp) : { country: '', asn: '' };
      access.push({
        timeMs,
        gatewayId,
        host,
        route: routes.match(host, method, path)?.route ?? '',
        method,
        status: r.statusCode,
        latencyMs: r.responseTimeUs > 0 ? r.responseTimeUs / 1000 : r.responseTimeMs,
        bytesIn: Math.max(0, r.requestSize),
        bytesOut: Math.max(0, r.responseSize),
        path,
        clientIp: r.clientIp,
        userAgent: r.userAgent,
        country: geoInfo.country,
        asn: geoInfo.asn,
      });
    } else if (entry.logType === LogType.LOG_TYPE_SECURITY && entry.security) {
      const s = entry.security;
      const host = hostOf(s.host);
      const method = s.method.toUpperCase();
      const matched = s.host || s.uri ? routes.match(host, method, pathOf(s.uri)) : undefined;
      const geoInfo =
        s.clientIp && (!s.country || !s.asn) ? geo.lookup(s.clientIp) : { country: '', asn: '' };
      security.push({
        timeMs,
        gatewayId,
        stream: batch.stream,
        sequence: batch.sequence,
        index,
        ruleId: s.ruleId,
        ruleDescription: s.ruleDescription,
        threatType: s.threatType,
        severity: s.severity,
        action: s.actionTaken,
        clientIp: s.clientIp,
        payload: s.payload,
        country: s.country || geoInfo.country,
        asn: s.asn || geoInfo.asn,
        host,
        uri: s.uri,
        method,
        statusCode: s.statusCode,
        requestId: s.requestId,
        route: matched?.route ?? '',
        ruleSets: matched?.wafRuleSets ?? [],
      });
    } else {
      other += 1;
    }
  }
  return {
    access,
    security,
    drops: {
      timeMs: batch.receivedAtMs,
      gatewayId: batch.gatewayId,
      access: batch.droppedAccess,
      security: batch.droppedSecurity,
    },
    other,
  };
}

function pathOf(uri: string): string {
  const q = uri.search(/[?#]/);
  const path = q < 0 ? uri : uri.slice(0, q);
  if (path.startsWith('/')) return path;
  // An absolute URI (a forward proxy's request line): keep its path.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  return scheme ? path.slice(scheme[0].length) || '/' : path || '/';
}

function hostOf(host: string): string {
  let name = host.trim().toLowerCase();
  if (!name.startsWith('[')) {
    const colon = name.lastIndexOf(':');
    if (colon >= 0 && name.indexOf(':') === colon) name = name.slice(0, colon);
  }
  return name.endsWith('.') ? name.slice(0, -1) : name;
}
