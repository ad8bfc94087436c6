/**
 * Who is shipping logs, from the client certificate of the mutual-TLS connection, and what it
 * may claim (docs/telemetry.md, "Identity"):
 *
 * - a **gateway** certificate names one gateway, by a URI SAN `urn:gateway-worker:gateway:<id>`
 *   or else its Subject CN; its records belong to that gateway and no other;
 * - a **collector** certificate (URI SAN `urn:gateway-worker:collector:<name>`) is a node log
 *   collector relaying several gateways' logs; each record names its gateway;
 * - the fleet's shared agent certificate (CN `gateway-agent`, Secret gateway-worker-agent-tls)
 *   and the worker's own (CN `gateway-worker`) name no single gateway and may not ship logs.
 *
 * Pure: the caller extracts the CN and URI SANs from the certificate.
 */

export const GATEWAY_URI_PREFIX = 'urn:gateway-worker:gateway:';
export const COLLECTOR_URI_PREFIX = 'urn:gateway-worker:collector:';
/** The CNs of the certificates the operator issues for everyone (src/push/mtls-ca.ts). */
export const SHARED_CERTIFICATE_NAMES: readonly string[] = ['gateway-agent', 'gateway-worker'];

export type ShipperIdentity =
  | { readonly kind: 'gateway'; readonly gatewayId: string }
  | { readonly kind: 'collector'; readonly name: string }
  /** Plaintext development mode: no certificate, so every claim is taken as made. */
  | { readonly kind: 'unauthenticated' };

export type IdentityResult =
  { readonly ok: true; readonly identity: ShipperIdentity } | { readonly ok: false; readonly reason: string };

export interface CertificateNames {
  readonly commonName: string | undefined;
  readonly uris: readonly string[];
}

/** A gateway is named like its pod: a DNS subdomain of at most 253 characters. */
const GATEWAY_ID = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
export const MAX_GATEWAY_ID = 253;

export function gatewayIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'a gateway id is required';
  if (id.length > MAX_GATEWAY_ID) return `gateway id is longer than ${MAX_GATEWAY_ID} characters`;
  if (!GATEWAY_ID.test(id)) {
    return `gateway id "${id}" is not a pod name (lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)`;
  }
  return undefined;
}

export function identityFromCertificate(names: CertificateNames): IdentityResult {
  const gateways = names.uris.filter((uri) => uri.startsWith(GATEWAY_URI_PREFIX));
  const collectors = names.uris.filter((uri) => uri.startsWith(COLLECTOR_URI_PREFIX));
  if (gateways.length + collectors.length > 1) {
    return { ok: false, reason: 'the client certificate carries more than one urn:gateway-worker: identity' };
  }
  const collector = collectors[0];
  if (collector !== undefined) {
    const name = collector.slice(COLLECTOR_URI_PREFIX.length);
    return name === ''
      ? { ok: false, reason: `the client certificate's ${COLLECTOR_URI_PREFIX} URI names no collector` }
      : { ok: true, identity: { kind: 'collector', name } };
  }
  const id = gateways[0]?.slice(GATEWAY_URI_PREFIX.length) ?? names.commonName ?? '';
  if (SHARED_CERTIFICATE_NAMES.includes(id)) {
    return {
      ok: false,
      reason:
        `the client certificate (CN ${id}) is shared by the whole fleet and names no gateway; ` +
        `give each gateway its own certificate from the channel CA whose CN (or URI ${GATEWAY_URI_PREFIX}<pod>) ` +
        'is its pod name (docs/telemetry.md, "Identity")',
    };
  }
  const problem = gatewayIdProblem(id);
  if (problem) return { ok: false, reason: `the client certificate names no usable gateway: ${problem}` };
  return { ok: true, identity: { kind: 'gateway', gatewayId: id } };
}

/** A short label for logs and messages. */
export function describeIdentity(identity: ShipperIdentity): string {
  switch (identity.kind) {
    case 'gateway':
      return `gateway "${identity.gatewayId}"`;
    case 'collector':
      return `collector "${identity.name}"`;
    case 'unauthenticated':
      return 'an unauthenticated client (insecure-development-only)';
  }
}

/**
 * Whether `identity` may ship records for `claimed` (an empty claim means "mine"). Returns the
 * gateway the records belong to, or why not.
 */
export function resolveGateway(
  identity: ShipperIdentity,
  claimed: string,
): { readonly ok: true; readonly gatewayId: string } | { readonly ok: false; readonly reason: string } {
  if (identity.kind === 'gateway') {
    if (claimed === '' || claimed === identity.gatewayId) return { ok: true, gatewayId: identity.gatewayId };
    return {
      ok: false,
      reason: `this connection's certificate names gateway "${identity.gatewayId}"; records for "${claimed}" are refused`,
    };
  }
  if (claimed === '') {
    return { ok: false, reason: `${describeIdentity(identity)} must name the gateway of every record` };
  }
  const problem = gatewayIdProblem(claimed);
  return problem ? { ok: false, reason: problem } : { ok: true, gatewayId: claimed };
}
