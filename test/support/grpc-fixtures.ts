/**
 * Test fixtures for the worker's gRPC server, shared by the unit tests beside it and the
 * integration test with real clients: a throwaway PKI made by src/pki/x509.ts, a hand-rolled
 * grpc.health.v1 client and a raw TLS probe that reads the certificate a server presents.
 */
import { connect } from 'node:tls';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { Client, type ChannelCredentials, type ClientReadableStream } from '@grpc/grpc-js';
import { createCertificateAuthority, issueCertificate, type KeyAndCert } from '../../src/pki/x509.js';
import { channelOptions, WORKER_SERVER_NAME, type TlsMaterial } from '../../src/grpc/credentials.js';

const HOUR_MS = 3_600_000;

export interface WorkerPki {
  readonly ca: KeyAndCert;
  /** Server certificate for WORKER_SERVER_NAME, with the CA. */
  readonly server: TlsMaterial & { readonly serialNumber: string };
  /** Client certificate from the same CA. */
  readonly client: TlsMaterial;
  /** A client certificate from another CA, trusting ours (so only the server can refuse it). */
  readonly stranger: TlsMaterial;
  /** A fresh server certificate from the same CA, as a rotation would issue. */
  issueServer(): Promise<TlsMaterial & { readonly serialNumber: string }>;
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + 24 * HOUR_MS) };
}

export async function createWorkerPki(): Promise<WorkerPki> {
  const { notBefore, notAfter } = validity();
  const ca = await createCertificateAuthority('gateway-worker test CA', notBefore, notAfter);
  const otherCa = await createCertificateAuthority('some other CA', notBefore, notAfter);
  const issueServer = async (): Promise<TlsMaterial & { serialNumber: string }> => {
    const leaf = await issueCertificate(ca, {
      commonName: WORKER_SERVER_NAME,
      dnsNames: [WORKER_SERVER_NAME],
      usage: 'server',
      ...validity(),
    });
    return {
      caPem: ca.certPem,
      certPem: leaf.certPem,
      keyPem: leaf.keyPem,
      serialNumber: leaf.cert.serialNumber,
    };
  };
  const client = await issueCertificate(ca, {
    commonName: 'gateway-1',
    usage: 'client',
    notBefore,
    notAfter,
  });
  const stranger = await issueCertificate(otherCa, {
    commonName: 'intruder',
    usage: 'client',
    notBefore,
    notAfter,
  });
  return {
    ca,
    server: await issueServer(),
    client: { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem },
    stranger: { caPem: ca.certPem, certPem: stranger.certPem, keyPem: stranger.keyPem },
    issueServer,
  };
}

/** Hex serial without leading zeros, lower case: how x509 and Node's TLS agree to compare. */
export function normalizeSerial(serial: string): string {
  return serial.toLowerCase().replace(/^0+(?=.)/, '');
}

/** Opens a TLS connection as a gRPC client would (ALPN h2) and returns the server's serial. */
export function presentedSerial(port: number, client: TlsMaterial): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        servername: WORKER_SERVER_NAME,
        ALPNProtocols: ['h2'],
        ca: client.caPem,
        cert: client.certPem,
        key: client.keyPem,
      },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.destroy();
        resolve(normalizeSerial(serial));
      },
    );
    socket.once('error', reject);
  });
}

/** grpc.health.v1 HealthCheckResponse.ServingStatus. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;

// HealthCheckRequest { string service = 1 } and HealthCheckResponse { ServingStatus status = 1 }
// are small enough to encode by hand, which keeps the client typed without generated code.
function encodeRequest(service: string): Buffer {
  return Buffer.from(new BinaryWriter().tag(1, WireType.LengthDelimited).string(service).finish());
}

function decodeResponse(bytes: Buffer): number {
  const reader = new BinaryReader(bytes);
  let status: number = ServingStatus.UNKNOWN;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) status = reader.int32();
    else reader.skip(wireType);
  }
  return status;
}

/** A minimal grpc.health.v1.Health client. */
export class HealthClient {
  private readonly client: Client;

  constructor(address: string, credentials: ChannelCredentials) {
    this.client = new Client(address, credentials, channelOptions(WORKER_SERVER_NAME));
  }

  check(service: string, deadlineMs = 5_000): Promise<number> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        '/grpc.health.v1.Health/Check',
        encodeRequest,
        decodeResponse,
        service,
        { deadline: Date.now() + deadlineMs },
        (err, status) => {
          if (err) reject(err);
          else resolve(status ?? ServingStatus.UNKNOWN);
        },
      );
    });
  }

  watch(service: string): ClientReadableStream<number> {
    return this.client.makeServerStreamRequest(
      '/grpc.health.v1.Health/Watch',
      encodeRequest,
      decodeResponse,
      service,
    );
  }

  close(): void {
    this.client.close();
  }
}

/** Polls `condition` until it holds, or fails with `what` after `timeoutMs`. */
export async function eventually(what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
