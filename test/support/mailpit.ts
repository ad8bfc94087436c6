/**
 * A real SMTP server for tests: Mailpit (built from the Go module proxy by the `mailpit` asset
 * set) on free loopback ports, requiring STARTTLS with a certificate from a throwaway CA and a
 * login from a password file. Tests read what it received through its HTTP API. Stopped, and its
 * folder removed, with the run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findAsset } from '../../src/envtest/assets.js';
import { freePort } from '../../src/envtest/ports.js';
import { ManagedProcess, releaseTempDir, trackTempDir } from '../../src/envtest/processes.js';
import { createCertificateAuthority, issueCertificate } from '../../src/pki/x509.js';

const READY_TIMEOUT_MS = 20_000;
const BIND_ATTEMPTS = 5;

export interface MailSummary {
  readonly ID: string;
  readonly Subject: string;
  readonly From: { readonly Address: string };
  readonly To: readonly { readonly Address: string }[];
  readonly Attachments: number;
}

export interface MailMessage {
  readonly ID: string;
  readonly Subject: string;
  readonly Text: string;
  readonly HTML: string;
  readonly Attachments: readonly {
    readonly FileName: string;
    readonly ContentType: string;
    readonly Size: number;
  }[];
}

export class Mailpit {
  readonly username = 'gateway';
  readonly password = 'mailpit-test-password';

  private constructor(
    private readonly process: ManagedProcess,
    readonly dir: string,
    readonly smtpPort: number,
    readonly apiUrl: string,
    /** PEM of the CA that signed the STARTTLS certificate. */
    readonly caPem: string,
  ) {}

  static async start(): Promise<Mailpit> {
    const binary = findAsset('mailpit');
    const dir = mkdtempSync(join(tmpdir(), 'gateway-worker-mailpit-'));
    trackTempDir(dir);
    try {
      const tls = await serverCertificate(dir);
      const authFile = join(dir, 'smtp-auth');
      writeFileSync(authFile, 'gateway:mailpit-test-password\n', { mode: 0o600 });
      for (let attempt = 1; ; attempt++) {
        const smtpPort = await freePort();
        const httpPort = await freePort();
        const process = ManagedProcess.start(
          'mailpit',
          binary,
          [
            '--smtp',
            `127.0.0.1:${smtpPort}`,
            '--listen',
            `127.0.0.1:${httpPort}`,
            '--database',
            join(dir, `mailpit-${attempt}.db`),
            '--smtp-tls-cert',
            tls.certFile,
            '--smtp-tls-key',
            tls.keyFile,
            '--smtp-require-starttls',
            '--smtp-auth-file',
            authFile,
            '--smtp-disable-rdns',
            '--disable-version-check',
          ],
          join(dir, `mailpit-${attempt}.log`),
        );
        const mailpit = new Mailpit(process, dir, smtpPort, `http://127.0.0.1:${httpPort}`, tls.caPem);
        if (await mailpit.waitReady()) return mailpit;
        await process.stop();
        const clash = /address already in use/i.test(process.logTail());
        if (!clash || attempt >= BIND_ATTEMPTS)
          throw new Error(`mailpit did not start:\n${process.logTail()}`);
      }
    } catch (error) {
      releaseTempDir(dir);
      throw error;
    }
  }

  async messages(): Promise<MailSummary[]> {
    const answer = await this.api<{ messages: MailSummary[] }>('/api/v1/messages?limit=500');
    return answer.messages;
  }

  message(id: string): Promise<MailMessage> {
    return this.api<MailMessage>(`/api/v1/message/${encodeURIComponent(id)}`);
  }

  /** Waits until at least `count` messages arrived; returns them, newest first. */
  async waitForMessages(count: number, timeoutMs = 20_000): Promise<MailSummary[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const messages = await this.messages();
      if (messages.length >= count) return messages;
      if (Date.now() > deadline)
        throw new Error(`mailpit holds ${messages.length} messages, expected ${count}`);
      await sleep(100);
    }
  }

  async deleteAll(): Promise<void> {
    const res = await fetch(`${this.apiUrl}/api/v1/messages`, { method: 'DELETE' });
    if (!res.ok) throw new Error(`mailpit: DELETE /api/v1/messages answered ${res.status}`);
  }

  async stop(): Promise<void> {
    await this.process.stop();
    releaseTempDir(this.dir);
  }

  private async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.apiUrl}${path}`);
    if (!res.ok) throw new Error(`mailpit: GET ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  private async waitReady(): Promise<boolean> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.process.running) return false;
      try {
        const res = await fetch(`${this.apiUrl}/readyz`);
        if (res.ok) return true;
      } catch {
        // Not listening yet.
      }
      await sleep(100);
    }
    return false;
  }
}

async function serverCertificate(dir: string): Promise<{ certFile: string; keyFile: string; caPem: string }> {
  const now = Date.now();
  const ca = await createCertificateAuthority(
    'gateway-worker test SMTP CA',
    new Date(now - 60_000),
    new Date(now + 24 * 3600_000),
  );
  const serving = await issueCertificate(ca, {
    commonName: 'mailpit',
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
