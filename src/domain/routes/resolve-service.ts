/**
 * A Service backend → the endpoints the gateway sends to: the Service port's name picks the
 * matching port of each EndpointSlice (as kube-proxy does), ready endpoints are used, and when
 * none is ready the ones still serving while terminating are (kube-proxy's graceful fallback), so a
 * rollout of the last pod does not drop requests early. Sorted and deduplicated: an endpoint may
 * sit in two slices while the EndpointSlice controller moves it.
 */
import { compareStrings } from './match.js';
import type { PayloadEndpoint, ServiceBackend, ServiceBackends } from './types.js';

export type ServiceResolution =
  | { readonly found: false; readonly reason: string }
  | {
      readonly found: true;
      readonly endpoints: readonly PayloadEndpoint[];
      /** Said in the conditions: resolved but nothing to send to, or only terminating endpoints. */
      readonly note?: string;
    };

// One object, so the compiler's memo sees an unchanged dependency.
const NOT_FOUND: ServiceResolution = { found: false, reason: 'not found' };

// Many routes share a Service, and an unchanged Service object resolves the same on every compile.
const memo = new WeakMap<ServiceBackend, Map<number, ServiceResolution>>();

export function resolveService(
  services: ServiceBackends,
  namespace: string,
  name: string,
  port: number,
): ServiceResolution {
  const service = services.get(`${namespace}/${name}`);
  if (!service) return NOT_FOUND;
  let byPort = memo.get(service);
  if (!byPort) {
    byPort = new Map();
    memo.set(service, byPort);
  }
  let resolution = byPort.get(port);
  if (!resolution) {
    resolution = resolve(service, port);
    byPort.set(port, resolution);
  }
  return resolution;
}

function resolve(service: ServiceBackend, port: number): ServiceResolution {
  const servicePort = service.ports.find((p) => p.port === port);
  if (!servicePort) {
    const ports = service.ports.map((p) => p.port).sort((a, b) => a - b);
    return {
      found: false,
      reason: `has no port ${port} (${ports.length ? `it has ${ports.join(', ')}` : 'it has no ports'})`,
    };
  }
  const id = `Service ${service.namespace}/${service.name} port ${port}`;
  if (service.externalName) {
    return { found: true, endpoints: [{ address: service.externalName, port }] };
  }
  const ready = new Map<string, PayloadEndpoint>();
  const terminating = new Map<string, PayloadEndpoint>();
  for (const slice of service.slices) {
    const slicePort = slice.ports.find((p) => p.name === servicePort.name);
    if (!slicePort) continue;
    for (const endpoint of slice.endpoints) {
      const address = endpoint.addresses[0];
      if (address === undefined) continue;
      const entry = { address, port: slicePort.port };
      const key = `${address}\u0000${slicePort.port}`;
      if (endpoint.ready) ready.set(key, entry);
      else if (endpoint.serving && endpoint.terminating) terminating.set(key, entry);
    }
  }
  if (ready.size > 0) return { found: true, endpoints: sorted(ready) };
  if (terminating.size > 0) {
    return {
      found: true,
      endpoints: sorted(terminating),
      note: `${id} has no ready endpoints; using ${terminating.size} terminating but still serving`,
    };
  }
  return {
    found: true,
    endpoints: [],
    note: `${id} has no ready endpoints: requests for it get 503`,
  };
}

function sorted(endpoints: Map<string, PayloadEndpoint>): PayloadEndpoint[] {
  return [...endpoints.values()].sort((a, b) => compareStrings(a.address, b.address) || a.port - b.port);
}
