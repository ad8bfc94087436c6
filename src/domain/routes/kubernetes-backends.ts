/**
 * Services and EndpointSlices (the API's JSON, or @kubernetes/client-node's models, which have
 * the same shape) → the compiler's ServiceBackend. No I/O: the controller reads the objects from
 * its informer caches and hands them over. Defaults follow the EndpointSlice API documentation.
 * Objects are treated as immutable, as informer caches require.
 */
import type { EndpointData, EndpointSliceData, ServiceBackend } from './types.js';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

interface Metadata {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ServiceJson {
  readonly metadata?: Metadata;
  readonly spec?: {
    readonly type?: string;
    readonly externalName?: string;
    readonly ports?: readonly { readonly name?: string; readonly port: number }[];
  };
}

export interface EndpointSliceJson {
  readonly metadata?: Metadata;
  readonly addressType?: string;
  readonly ports?: readonly { readonly name?: string; readonly port?: number }[] | null;
  readonly endpoints?: readonly {
    readonly addresses: readonly string[];
    readonly conditions?: {
      readonly ready?: boolean;
      readonly serving?: boolean;
      readonly terminating?: boolean;
    };
  }[];
}

function endpoint(raw: NonNullable<EndpointSliceJson['endpoints']>[number]): EndpointData {
  const ready = raw.conditions?.ready ?? true; // "nil should be interpreted as true"
  return {
    addresses: raw.addresses,
    ready,
    serving: raw.conditions?.serving ?? ready, // "if nil, consumers should defer to ready"
    terminating: raw.conditions?.terminating ?? false,
  };
}

// The informer hands out the same object until it changes: map each object once, and keep a
// Service's ServiceBackend while its objects stay the same, so later steps can memoise on it too.
const slicesSeen = new WeakMap<EndpointSliceJson, EndpointSliceData>();
const servicesSeen = new WeakMap<
  ServiceJson,
  { readonly slices: readonly EndpointSliceJson[]; readonly backend: ServiceBackend }
>();

export function endpointSliceData(slice: EndpointSliceJson): EndpointSliceData {
  let data = slicesSeen.get(slice);
  if (!data) {
    data = mapSlice(slice);
    slicesSeen.set(slice, data);
  }
  return data;
}

function mapSlice(slice: EndpointSliceJson): EndpointSliceData {
  return {
    name: slice.metadata?.name ?? '',
    // A port without a number means "all ports" for a selectorless slice; nothing we can route to.
    ports: (slice.ports ?? []).flatMap((p) =>
      p.port === undefined ? [] : [{ name: p.name ?? '', port: p.port }],
    ),
    endpoints: (slice.endpoints ?? []).filter((e) => e.addresses.length > 0).map(endpoint),
  };
}

/** One Service with the EndpointSlices that belong to it (the caller picks them by label). */
export function serviceBackend(service: ServiceJson, slices: readonly EndpointSliceJson[]): ServiceBackend {
  const seen = servicesSeen.get(service);
  if (seen?.slices.length === slices.length && seen.slices.every((s, i) => s === slices[i]))
    return seen.backend;
  const backend = mapService(service, slices);
  servicesSeen.set(service, { slices: [...slices], backend });
  return backend;
}

function mapService(service: ServiceJson, slices: readonly EndpointSliceJson[]): ServiceBackend {
  const spec = service.spec ?? {};
  const externalName = spec.type === 'ExternalName' ? spec.externalName : undefined;
  return {
    namespace: service.metadata?.namespace ?? '',
    name: service.metadata?.name ?? '',
    ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port })),
    ...(externalName ? { externalName } : {}),
    slices: slices.map(endpointSliceData),
  };
}

/**
 * Every Service with its EndpointSlices, keyed 'namespace/name'. Slices are matched to Services
 * by namespace and the kubernetes.io/service-name label; a slice without a Service is ignored.
 */
export function serviceBackends(
  services: readonly ServiceJson[],
  slices: readonly EndpointSliceJson[],
): Map<string, ServiceBackend> {
  const byService = new Map<string, EndpointSliceJson[]>();
  for (const slice of slices) {
    const metadata = slice.metadata ?? {};
    const owner = metadata.labels?.[SERVICE_NAME_LABEL];
    if (!owner) continue;
    const key = `${metadata.namespace ?? ''}/${owner}`;
    const list = byService.get(key);
    if (list) list.push(slice);
    else byService.set(key, [slice]);
  }
  const result = new Map<string, ServiceBackend>();
  for (const service of services) {
    const key = `${service.metadata?.namespace ?? ''}/${service.metadata?.name ?? ''}`;
    result.set(key, serviceBackend(service, byService.get(key) ?? []));
  }
  return result;
}
