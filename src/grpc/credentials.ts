/**
 * TLS for both ends of the worker ↔ gateway channel. Mutual TLS is the only mode in production:
 * a server asks for and verifies a client certificate from our CA, a client verifies the server
 * against it. Plaintext exists only behind an explicit development flag.
 */
import { ChannelCredentials, ServerCredentials } from '@grpc/grpc-js';

export interface TlsMaterial {
  /** The CA that signs both sides' certificates (PEM). */
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** `'insecure-development-only'` is plaintext: never for anything but a laptop. */
export type TlsMode = TlsMaterial | 'insecure-development-only';

export function serverCredentials(tls: TlsMode): ServerCredentials {
  if (tls === 'insecure-development-only') return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(
    Buffer.from(tls.caPem),
    [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
    true,
  );
}

export function clientCredentials(tls: TlsMode): ChannelCredentials {
  if (tls === 'insecure-development-only') return ChannelCredentials.createInsecure();
  return ChannelCredentials.createSsl(
    Buffer.from(tls.caPem),
    Buffer.from(tls.keyPem),
    Buffer.from(tls.certPem),
  );
}

/**
 * Certificates name pods by DNS, but the worker dials `podIP:port`; the server certificate carries
 * a fixed DNS name that the client checks instead of the address.
 */
export const GATEWAY_SERVER_NAME = 'gateway-agent.gateway-worker.internal';
export const WORKER_SERVER_NAME = 'gateway-worker.gateway-worker.internal';

/** Channel options for a client of a server whose certificate names `serverName`, with keepalive matched to grpc-js's server defaults. */
export function channelOptions(serverName: string): Record<string, string | number> {
  return {
    'grpc.ssl_target_name_override': serverName,
    'grpc.default_authority': serverName,
    // 30 s pings; servers must allow it (see serverOptions) or they answer GOAWAY too_many_pings.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
  };
}

export const serverOptions: Record<string, number> = {
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.http2.min_ping_interval_without_data_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 1,
};
