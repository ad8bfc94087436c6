/**
 * One gateway pod: one gRPC connection and one SyncConfig stream, kept open with keepalive and
 * re-opened with jittered backoff. It sends the pod's desired snapshot as it changes — the full
 * state whenever a stream (re)opens, then only the types whose version changed — never a version
 * the pod already has or has already rejected, certificates and rule sets before routes.
 */
import { Metadata, status, type ClientDuplexStream } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { SYNCED_TYPES, isSynced, type PushedTypeName } from '../domain/snapshot/pushed-types.js';
import {
  CONFIG_ORDER,
  type ConfigResource,
  type ConfigType,
  type GatewaySnapshot,
} from '../domain/snapshot/snapshot.js';
import {
  GatewayAgentClient,
  type SyncConfigRequest,
  type SyncConfigResponse,
} from '../generated/gateway/worker/v1/agent.js';
import { ResourceType } from '../generated/gateway/worker/v1/resources.js';
import { channelOptions, clientCredentials, GATEWAY_SERVER_NAME, type TlsMode } from '../grpc/credentials.js';
import { Backoff } from '../runtime/backoff.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import { SharedEncodingAgentClient, chunksOf } from './shared-encoding.js';

/** Each SyncConfig type's proto enum, from the registry. */
export const PROTO_TYPES = Object.fromEntries(
  SYNCED_TYPES.map((t) => [t.name, ResourceType[t.proto]]),
) as Readonly<Record<ConfigType, ResourceType>>;
const CONFIG_TYPES = new Map(SYNCED_TYPES.map((t) => [ResourceType[t.proto], t.name]));
/** Per type, what a gateway must have answered before the type is sent (make-before-break). */
const WAITS_FOR = new Map(SYNCED_TYPES.map((t) => [t.name, t.waitsFor]));

export interface Gateway {
  /** namespace/pod-name */
  readonly name: string;
  readonly address: string;
  readonly labels: Record<string, string>;
}

/** What a pod has told us about one type or certificate. */
export interface Outcome {
  /** Versions of each resource in the last state the pod applied. */
  readonly applied: ReadonlyMap<string, string>;
  /** Set while the latest version sent was rejected. */
  readonly rejected?: {
    readonly version: string;
    readonly message: string;
    /** Resource name → the pod's reason, for the resources it named. */
    readonly resources: ReadonlyMap<string, string>;
    /** Resource name → version, of the update it refused. */
    readonly sent: ReadonlyMap<string, string>;
  };
}

export interface OutcomeEvent {
  readonly type: PushedTypeName;
  /**
   * The resources (or the certificate) whose outcome on this gateway changed: a new version
   * applied, or gone; undefined when any of that type may have changed.
   */
  readonly changed?: ReadonlySet<string>;
  readonly accepted: boolean;
  /** The version the pod answered for (of the type, or of the certificate). */
  readonly version: string;
  /** The pod's reason, when it refused. */
  readonly message?: string;
  /** From sending the update to its answer. */
  readonly latencyMs: number;
}

export interface ConnectionEvents {
  /** An ACK or NACK arrived, or a certificate call finished. */
  onOutcome(gateway: Gateway, outcome: OutcomeEvent): void;
  onSent?(gateway: Gateway, type: PushedTypeName, bytes: number): void;
  onConnected?(gateway: Gateway, connected: boolean): void;
}

const CERTIFICATE_DEADLINE_MS = 10_000;

export class GatewayConnection {
  private client: GatewayAgentClient;
  private opened = false;
  private stream: ClientDuplexStream<SyncConfigRequest, SyncConfigResponse> | undefined;
  private desired: GatewaySnapshot | undefined;
  private readonly sent = new Map<
    ConfigType,
    {
      version: string;
      nonce: string;
      at: number;
      /** Every resource of the state this update leads to, name → version. */
      names: Map<string, string>;
      incremental: boolean;
    }
  >();
  private readonly outcomes = new Map<ConfigType, Outcome>();
  /** The version of each type this pod last acknowledged. */
  private readonly acknowledged = new Map<ConfigType, string>();
  private readonly certificates = new Map<string, { version: string; error?: string }>();
  private readonly certificatesInFlight = new Set<string>();
  private readonly backoff: Backoff;
  private reconnect: Timer | undefined;
  private closed = false;
  connected = false;

  /**
   * `tls` is read at every (re)connect: after the worker's certificate is renewed, new
   * connections present the new one while an open stream carries on over its handshake.
   */
  constructor(
    readonly gateway: Gateway,
    private readonly tls: () => TlsMode,
    private readonly events: ConnectionEvents,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    this.client = this.newClient();
    this.backoff = new Backoff({ initialMs: 500, maxMs: 30_000, jitter: 0.5 });
    this.open();
  }

  setDesired(snapshot: GatewaySnapshot): void {
    this.desired = snapshot;
    this.flush();
  }

  outcome(type: ConfigType): Outcome | undefined {
    return this.outcomes.get(type);
  }

  certificate(name: string): { version: string; error?: string } | undefined {
    return this.certificates.get(name);
  }

  /** The version of `type` this pod last acknowledged, if it acknowledged one. */
  acknowledgedVersion(type: ConfigType): string | undefined {
    return this.acknowledged.get(type);
  }

  /** Certificates this pod holds at their latest version sent, and those it refused. */
  certificateCounts(): { applied: number; refused: number } {
    let refused = 0;
    for (const known of this.certificates.values()) if (known.error !== undefined) refused += 1;
    return { applied: this.certificates.size - refused, refused };
  }

  close(): void {
    this.closed = true;
    this.reconnect?.cancel();
    this.stream?.cancel();
    this.client.close();
  }

  private newClient(): GatewayAgentClient {
    return new SharedEncodingAgentClient(
      this.gateway.address,
      clientCredentials(this.tls()),
      channelOptions(GATEWAY_SERVER_NAME),
    );
  }

  private open(): void {
    if (this.closed) return;
    if (this.stream === undefined && this.opened) {
      this.client.close();
      this.client = this.newClient();
    }
    this.opened = true;
    const stream = this.client.syncConfig();
    this.stream = stream;
    this.sent.clear();
    stream.on('data', (response: SyncConfigResponse) => this.onResponse(response));
    stream.on('metadata', () => {
      this.backoff.reset();
      this.setConnected(true);
    });
    const lost = (error?: Error): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.setConnected(false);
      if (this.closed) return;
      const delay = this.backoff.next();
      this.logger.debug('gateway stream closed; reconnecting', {
        gateway: this.gateway.name,
        error: error?.message,
        retryInMs: Math.round(delay),
      });
      this.reconnect = this.clock.setTimer(delay, () => this.open());
    };
    stream.on('error', lost);
    stream.on('end', () => lost());
    this.flush();
  }

  private setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.events.onConnected?.(this.gateway, connected);
  }

  private flush(): void {
    const desired = this.desired;
    if (!desired || !this.stream) return;
    this.flushCertificates(desired);
    for (const type of CONFIG_ORDER) {
      const group = desired.config.get(type);
      if (!group) continue;
      if (this.sent.get(type)?.version === group.version) continue;
      if (this.outcomes.get(type)?.rejected?.version === group.version) continue;
      // Make-before-break: a type waits until what it may reference has been answered.
      if (!(WAITS_FOR.get(type) ?? []).every((other) => this.settled(desired, other))) continue;
      this.send(type, group.version, group.resources);
    }
  }

  /** Whether the pod has answered the desired state of `type` (or has nothing of it to answer). */
  private settled(desired: GatewaySnapshot, type: PushedTypeName): boolean {
    if (!isSynced(type)) return this.certificatesInFlight.size === 0;
    const group = desired.config.get(type);
    if (!group) return true;
    const outcome = this.outcomes.get(type);
    const sent = this.sent.get(type);
    const answered = sent?.version === group.version && sent.nonce === '';
    return (
      answered ||
      outcome?.rejected?.version === group.version ||
      (outcome !== undefined && sameVersions(outcome.applied, group.resources))
    );
  }

  private send(type: ConfigType, version: string, resources: readonly ConfigResource[]): void {
    const nonce = randomUUID();
    const names = new Map(resources.map((r) => [r.name, r.version]));
    const delta = this.deltaFrom(type, resources, names);
    this.sent.set(type, { version, nonce, at: this.clock.now(), names, incremental: delta !== undefined });
    let bytes = 0;
    for (const chunk of chunksOf(delta?.changed ?? resources)) {
      const message: SyncConfigRequest = {
        type: PROTO_TYPES[type],
        version,
        nonce,
        resources: chunk.resources,
        chunkIndex: chunk.index,
        chunkCount: chunk.count,
        baseVersion: delta?.baseVersion ?? '',
        removed: delta?.removed ?? [],
      };
      bytes += chunk.bytes;
      this.stream?.write(message);
    }
    this.events.onSent?.(this.gateway, type, bytes);
  }

  /**
   * An incremental update when the pod acknowledged the last update of this type (so it holds
   * exactly that state) and most of the state is unchanged: one endpoint change then sends one
   * RouteConfig, not all of them. Otherwise, and after a reconnect, the complete state.
   */
  private deltaFrom(
    type: ConfigType,
    resources: readonly ConfigResource[],
    names: ReadonlyMap<string, string>,
  ): { baseVersion: string; changed: ConfigResource[]; removed: string[] } | undefined {
    const last = this.sent.get(type);
    const outcome = this.outcomes.get(type);
    if (!last || last.nonce !== '' || !outcome || outcome.rejected || outcome.applied !== last.names)
      return undefined;
    const changed = resources.filter((r) => last.names.get(r.name) !== r.version);
    const removed = [...last.names.keys()].filter((name) => !names.has(name));
    if ((changed.length + removed.length) * 2 > resources.length) return undefined;
    return { baseVersion: last.version, changed, removed };
  }

  private onResponse(response: SyncConfigResponse): void {
    const type = CONFIG_TYPES.get(response.type);
    if (!type) return;
    const sent = this.sent.get(type);
    if (!sent || sent.nonce !== response.nonce) return; // an answer to an update since replaced
    let changed: Set<string> | undefined;
    if (response.errorMessage && sent.incremental) {
      // The pod could not build on its state (or refused the change): send it the complete
      // state once; a refusal of that is recorded as usual.
      this.logger.info('incremental update refused; sending the complete state', {
        gateway: this.gateway.name,
        type,
        reason: response.errorMessage,
      });
      this.sent.delete(type);
      this.flush();
      return;
    }
    if (response.errorMessage) {
      const failed = new Map(response.resourceErrors.map((e) => [e.name, e.message]));
      const previous = this.outcomes.get(type);
      this.outcomes.set(type, {
        applied: previous?.applied ?? new Map(),
        rejected: {
          version: sent.version,
          message: response.errorMessage,
          resources: failed,
          sent: sent.names,
        },
      });
      this.logger.warn('gateway rejected an update', {
        gateway: this.gateway.name,
        type,
        version: sent.version,
        reason: response.errorMessage,
      });
    } else {
      const previous = this.outcomes.get(type);
      this.outcomes.set(type, { applied: sent.names });
      this.acknowledged.set(type, sent.version);
      // A cleared rejection may concern any resource; otherwise only the versions that moved.
      if (previous && !previous.rejected) changed = movedVersions(previous.applied, sent.names);
    }
    this.sent.set(type, { ...sent, nonce: '' });
    this.events.onOutcome(this.gateway, {
      type,
      ...(changed ? { changed } : {}),
      accepted: !response.errorMessage,
      version: sent.version,
      ...(response.errorMessage ? { message: response.errorMessage } : {}),
      latencyMs: this.clock.now() - sent.at,
    });
    this.flush();
  }

  private flushCertificates(desired: GatewaySnapshot): void {
    for (const cert of desired.certificates.values()) {
      const known = this.certificates.get(cert.name);
      if (known?.version === cert.version || this.certificatesInFlight.has(cert.name)) continue;
      this.certificatesInFlight.add(cert.name);
      const started = this.clock.now();
      this.events.onSent?.(
        this.gateway,
        'certificate',
        cert.certificateChainPem.length + cert.privateKeyPem.length,
      );
      this.client.applyCertificate(
        {
          certificate: {
            name: cert.name,
            version: cert.version,
            certificateChainPem: cert.certificateChainPem,
            privateKeyPem: cert.privateKeyPem,
            dnsNames: [...cert.dnsNames],
            notAfterUnix: cert.notAfterUnix,
            temporary: cert.temporary,
          },
        },
        new Metadata(),
        { deadline: new Date(this.clock.now() + CERTIFICATE_DEADLINE_MS) },
        (error) => {
          this.certificatesInFlight.delete(cert.name);
          // A transport failure is retried on the next flush; a refusal is remembered for this version.
          if (error && error.code !== status.INVALID_ARGUMENT) {
            if (!this.closed) this.clock.setTimer(this.backoff.next(), () => this.flush());
            return;
          }
          this.certificates.set(
            cert.name,
            error ? { version: cert.version, error: error.details } : { version: cert.version },
          );
          this.events.onOutcome(this.gateway, {
            type: 'certificate',
            changed: new Set([cert.name]),
            accepted: !error,
            version: cert.version,
            ...(error ? { message: error.details } : {}),
            latencyMs: this.clock.now() - started,
          });
          this.flush();
        },
      );
    }
  }
}

function sameVersions(
  applied: ReadonlyMap<string, string>,
  resources: readonly { name: string; version: string }[],
): boolean {
  return applied.size === resources.length && resources.every((r) => applied.get(r.name) === r.version);
}

function movedVersions(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Set<string> {
  const moved = new Set<string>();
  for (const [name, version] of after) if (before.get(name) !== version) moved.add(name);
  for (const name of before.keys()) if (!after.has(name)) moved.add(name);
  return moved;
}
