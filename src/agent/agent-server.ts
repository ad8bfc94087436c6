/**
 * The GatewayAgent gRPC service over mutual TLS, plus grpc.health.v1.Health: ApplyCertificate
 * writes certificate files, SyncConfig turns the worker's versioned updates into files and
 * answers each with an ACK or a NACK. Its own certificate can be replaced while it runs (see
 * updateTls). Transport only; the checks live in certificates.ts and config-state.ts.
 */
import { Server, status, type ServerDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import {
  GatewayAgentService,
  type ApplyCertificateRequest,
  type ApplyCertificateResponse,
  type GatewayAgentServer,
  type SyncConfigRequest,
  type SyncConfigResponse,
} from '../generated/gateway/worker/v1/agent.js';
import { resourceTypeToJSON } from '../generated/gateway/worker/v1/resources.js';
import { serverCredentials, serverOptions, type TlsMaterial, type TlsMode } from '../grpc/credentials.js';
import { rotatingServerCredentials, type RotatingServerCredentials } from '../grpc/rotating-credentials.js';
import type { Logger } from '../runtime/logger.js';
import { CertificateRejected, type CertificateStore } from './certificates.js';
import { ChunkAssembler } from './chunk-assembler.js';
import type { ApplyResult, ConfigState } from './config-state.js';
import { Serial } from './serial.js';

export const AGENT_SERVICE = 'gateway.worker.v1.GatewayAgent';

export interface AgentServerOptions {
  /** Reported in every SyncConfig answer so the worker can attribute it to a pod. */
  readonly name: string;
  readonly tls: TlsMode;
  readonly state: ConfigState;
  readonly certificates: CertificateStore;
  readonly logger: Logger;
}

type SyncCall = ServerDuplexStream<SyncConfigRequest, SyncConfigResponse>;

export class AgentServer {
  private readonly server = new Server(serverOptions);
  private readonly health = new HealthImplementation({ '': 'SERVING', [AGENT_SERVICE]: 'SERVING' });
  /** Open config streams, each with the function that stops it from writing. */
  private readonly streams = new Map<SyncCall, () => void>();
  private readonly rotating: RotatingServerCredentials | undefined;

  constructor(private readonly options: AgentServerOptions) {
    this.rotating =
      options.tls === 'insecure-development-only' ? undefined : rotatingServerCredentials(options.tls);
    const implementation: GatewayAgentServer = {
      applyCertificate: (call, callback) => {
        this.applyCertificate(call.request).then(
          (response) => callback(null, response),
          (error: unknown) => callback(toServiceError(error)),
        );
      },
      syncConfig: (call) => this.syncConfig(call),
    };
    this.server.addService(GatewayAgentService, implementation);
    this.health.addToServer(this.server);
  }

  /** Binds `host:port` and resolves with the port (useful with port 0). */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const credentials = this.rotating?.credentials ?? serverCredentials(this.options.tls);
      this.server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port)));
    });
  }

  /**
   * New handshakes present `material` and trust only its CA from now on; open connections, and
   * the config streams on them, keep the handshake they were accepted with. Throws, keeping the
   * current certificate in service, when OpenSSL cannot use `material`.
   */
  updateTls(material: TlsMaterial): void {
    if (!this.rotating) throw new Error('TLS cannot be rotated on a plaintext agent');
    this.rotating.update(material);
  }

  /**
   * Ends the config streams (the worker reconnects to another pod or later), lets unary calls
   * finish within `graceMs`, then cuts whatever is left.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.health.setStatus('', 'NOT_SERVING');
    this.health.setStatus(AGENT_SERVICE, 'NOT_SERVING');
    for (const [call, finish] of [...this.streams]) {
      finish();
      call.end();
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async applyCertificate(request: ApplyCertificateRequest): Promise<ApplyCertificateResponse> {
    const certificate = request.certificate;
    if (!certificate) throw new CertificateRejected('certificate is missing from the request');
    await this.options.certificates.apply(certificate);
    return { version: certificate.version };
  }

  private syncConfig(call: SyncCall): void {
    const { logger, state, name } = this.options;
    const peer = call.getPeer();
    const assembler = new ChunkAssembler();
    // Answers go out in the order updates came in, even though applying them is asynchronous.
    const serial = new Serial();
    let open = true;
    const finish = (): void => {
      open = false;
      this.streams.delete(call);
    };
    this.streams.set(call, finish);
    logger.debug('config stream opened', { peer });
    call.on('data', (request: SyncConfigRequest) => {
      serial
        .run(async () => {
          const assembled = assembler.add(request);
          if (assembled.kind === 'partial') return;
          const result: ApplyResult =
            assembled.kind === 'broken'
              ? {
                  kind: 'nack',
                  version: state.appliedVersion(request.type),
                  message: assembled.message,
                  resourceErrors: [],
                }
              : await state.apply(request.type, assembled.version, assembled.resources, assembled.delta);
          const nonce = assembled.kind === 'complete' ? assembled.nonce : request.nonce;
          if (!open) return;
          call.write(answer(name, request, nonce, result));
          logger.debug(result.kind === 'ack' ? 'ACK' : 'NACK', {
            peer,
            type: resourceTypeToJSON(request.type),
            nonce,
            version: result.version,
          });
        })
        .catch((error: unknown) => {
          logger.error('config update failed', { peer, err: error });
          finish();
          call.destroy(error instanceof Error ? error : new Error(String(error)));
        });
    });
    // Half-close from the worker: answer what it already sent, then end our side too.
    call.on('end', () => {
      void serial.run(() => {
        if (open) call.end();
        finish();
        logger.debug('config stream closed', { peer });
        return Promise.resolve();
      });
    });
    call.on('cancelled', finish);
    call.on('error', (error: Error) => {
      finish();
      logger.debug('config stream failed', { peer, error: error.message });
    });
  }
}

function answer(
  gateway: string,
  request: SyncConfigRequest,
  nonce: string,
  result: ApplyResult,
): SyncConfigResponse {
  return {
    type: request.type,
    nonce,
    version: result.version,
    errorMessage: result.kind === 'nack' ? result.message : '',
    resourceErrors: result.kind === 'nack' ? [...result.resourceErrors] : [],
    gateway,
  };
}

function toServiceError(error: unknown): Partial<ServiceError> {
  if (error instanceof CertificateRejected) return { code: status.INVALID_ARGUMENT, details: error.message };
  return { code: status.INTERNAL, details: `could not apply the certificate: ${(error as Error).message}` };
}
