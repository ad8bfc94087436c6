/**
 * A real S3 server for tests: versitygw (Versity's S3 gateway) with its posix backend in a temp
 * folder, on a free loopback port — a new port when another process took it first — over plain
 * HTTP or HTTPS with a certificate from a throwaway CA (clients trust it through `caPem` alone).
 * Stopped, and its folder removed, with the run.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { findAsset } from '../../src/envtest/assets.js';
import { freePort } from '../../src/envtest/ports.js';
import { ManagedProcess, releaseTempDir, trackTempDir } from '../../src/envtest/processes.js';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/x509.js';

const READY_TIMEOUT_MS = 20_000;
const BIND_ATTEMPTS = 5;

export class VersityGw {
  readonly accessKeyId = 'gateway-worker-test';
  readonly secretAccessKey = 'gateway-worker-test-secret';
  readonly region = 'us-east-1';

  private constructor(
    private readonly process: ManagedProcess,
    readonly dir: string,
    readonly endpoint: string,
    /** PEM of the CA that signed the HTTPS certificate; undefined over plain HTTP. */
    readonly caPem: string | undefined,
  ) {}

  static async start(options: { tls?: boolean } = {}): Promise<VersityGw> {
    const binary = findAsset('versitygw');
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-versitygw-'));
    trackTempDir(dir);
    try {
      const data = join(dir, 'data');
      mkdirSync(data);
      const tls = options.tls ? await serverCertificate(dir) : undefined;
      for (let attempt = 1; ; attempt++) {
        const port = await freePort();
        const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
        const process = ManagedProcess.start(
          'versitygw',
          binary,
          [
            '--access',
            'gateway-worker-test',
            '--secret',
            'gateway-worker-test-secret',
            '--port',
            `127.0.0.1:${port}`,
            '--quiet',
            ...(tls ? ['--cert', tls.certFile, '--key', tls.keyFile] : []),
            'posix',
            data,
          ],
          join(dir, `versitygw-${attempt}.log`),
        );
        const gw = new VersityGw(process, dir, endpoint, tls?.caPem);
        const ready = await gw.waitReady();
        if (ready) return gw;
        await process.stop();
        // Between our probe of the port and versitygw's bind, another process may have taken it.
        const clash = /address already in use/i.test(process.logTail());
        if (!clash || attempt >= BIND_ATTEMPTS)
          throw new Error(`versitygw did not start on ${endpoint}:\n${process.logTail()}`);
      }
    } catch (error) {
      releaseTempDir(dir);
      throw error;
    }
  }

  /** An admin S3 client (the root user's keys), for setting buckets up and looking behind the store. */
  client(): S3Client {
    return new S3Client({
      endpoint: this.endpoint,
      region: this.region,
      forcePathStyle: true,
      credentials: { accessKeyId: this.accessKeyId, secretAccessKey: this.secretAccessKey },
      ...(this.caPem ? { requestHandler: { httpsAgent: { ca: this.caPem } } } : {}),
    });
  }

  async createBucket(name: string): Promise<void> {
    const client = this.client();
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } finally {
      client.destroy();
    }
  }

  async stop(): Promise<void> {
    await this.process.stop();
    releaseTempDir(this.dir);
  }

  private async waitReady(): Promise<boolean> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.process.running) return false;
      if (await this.answers()) return true;
      await sleep(100);
    }
    return false;
  }

  /** Any HTTP answer (an S3 error for an unsigned request included) means it is serving. */
  private answers(): Promise<boolean> {
    const send = this.caPem ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const req = send(`${this.endpoint}/`, { ca: this.caPem, timeout: 2_000 }, (res) => {
        res.resume();
        resolve(true);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }
}

async function serverCertificate(dir: string): Promise<{ certFile: string; keyFile: string; caPem: string }> {
  const now = Date.now();
  const ca = await createCertificateAuthority(
    'gateway-worker test S3 CA',
    new Date(now - 60_000),
    new Date(now + 24 * 3600_000),
  );
  const serving = await issueCertificate(ca, {
    commonName: 'versitygw',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
    usage: 'server',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 24 * 3600_000),
  });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, serving.certPem + ca.certPem, { mode: 0o600 });
  writeFileSync(keyFile, serving.keyPem, { mode: 0o600 });
  return { certFile, keyFile, caPem: ca.certPem };
}
