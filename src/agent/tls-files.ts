/**
 * The agent's TLS files (CA, certificate, key), re-read when they change so that a renewed Secret
 * is served without a restart. Kubernetes updates a mounted Secret by writing a new hidden folder
 * and swapping the `..data` symlink to it; fs.watch on the files' folders sees that swap on Linux,
 * but not on every system nor through symlinks that lead to another folder, so a periodic
 * content-hash check backs it up. A set that cannot be served — half-written, a key that does not
 * match its certificate, a certificate that does not chain to the CA — is ignored with a warning
 * and the last good set stays in service.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { checkMaterial } from '../grpc/rotating-credentials.js';
import type { TlsMaterial } from '../grpc/credentials.js';
import { systemClock, type Clock, type Timer } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import { Serial } from './serial.js';

export interface TlsFilePaths {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface TlsFileWatcherOptions {
  readonly paths: TlsFilePaths;
  /** The set in service now; only content that differs from it is applied. */
  readonly current: TlsMaterial;
  /** Puts a checked set in service; when it throws, the set is treated as unusable. */
  readonly apply: (material: TlsMaterial) => void;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Between content checks that catch what fs.watch missed; kubelet itself syncs about every minute. */
  readonly checkIntervalMs?: number;
  /** Quiet time after a file event before reading, so the events of one swap cause one read. */
  readonly settleMs?: number;
}

export const DEFAULT_TLS_CHECK_INTERVAL_MS = 30_000;
const DEFAULT_SETTLE_MS = 100;

export type TlsCheckOutcome = 'unchanged' | 'applied' | 'rejected';

export class TlsFileWatcher {
  private readonly clock: Clock;
  private readonly serial = new Serial();
  private watchers: FSWatcher[] = [];
  private periodic: Timer | undefined;
  private settling: Timer | undefined;
  /** Content hash of the set in service. */
  private inService: string;
  /** What was last refused (a content hash or a read error), so it is reported once, not every check. */
  private lastRefused: string | undefined;
  private running = false;

  constructor(private readonly options: TlsFileWatcherOptions) {
    this.clock = options.clock ?? systemClock;
    this.inService = contentHash(options.current);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    const { ca, cert, key } = this.options.paths;
    for (const dir of new Set([ca, cert, key].map((path) => dirname(path)))) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.fileEvent());
        watcher.on('error', (error: Error) => {
          this.options.logger.warn('cannot watch the TLS folder; relying on periodic checks', {
            dir,
            error: error.message,
          });
          watcher.close();
        });
        this.watchers.push(watcher);
      } catch (error) {
        this.options.logger.warn('cannot watch the TLS folder; relying on periodic checks', {
          dir,
          error: (error as Error).message,
        });
      }
    }
    this.schedulePeriodic();
    // The files may have changed between being read for start-up and the watch beginning.
    void this.check();
  }

  stop(): void {
    this.running = false;
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
    this.periodic?.cancel();
    this.settling?.cancel();
  }

  /** Reads the files and applies them when their content changed and they can be served. */
  check(): Promise<TlsCheckOutcome> {
    return this.serial.run(() => this.readAndApply());
  }

  private fileEvent(): void {
    if (!this.running) return;
    this.settling?.cancel();
    this.settling = this.clock.setTimer(this.options.settleMs ?? DEFAULT_SETTLE_MS, () => {
      if (this.running) void this.check();
    });
  }

  private schedulePeriodic(): void {
    this.periodic = this.clock.setTimer(this.options.checkIntervalMs ?? DEFAULT_TLS_CHECK_INTERVAL_MS, () => {
      if (!this.running) return;
      void this.check();
      this.schedulePeriodic();
    });
  }

  private async readAndApply(): Promise<TlsCheckOutcome> {
    const { paths, logger } = this.options;
    let material: TlsMaterial;
    try {
      const [caPem, certPem, keyPem] = await Promise.all(
        [paths.ca, paths.cert, paths.key].map((path) => readFile(path, 'utf8')),
      );
      material = { caPem: caPem ?? '', certPem: certPem ?? '', keyPem: keyPem ?? '' };
    } catch (error) {
      return this.refuse(`cannot read the TLS files: ${(error as Error).message}`, undefined);
    }
    const hash = contentHash(material);
    if (hash === this.inService) {
      this.lastRefused = undefined;
      return 'unchanged';
    }
    try {
      const leaf = checkTlsFiles(material);
      this.options.apply(material);
      this.inService = hash;
      this.lastRefused = undefined;
      logger.info('TLS files reloaded; new connections use them', {
        serialNumber: leaf.serialNumber,
        notAfter: leaf.validTo,
        issuer: leaf.issuer,
      });
      return 'applied';
    } catch (error) {
      return this.refuse((error as Error).message, hash);
    }
  }

  private refuse(reason: string, hash: string | undefined): TlsCheckOutcome {
    const key = hash ?? reason;
    if (this.lastRefused !== key) {
      this.lastRefused = key;
      this.options.logger.warn('TLS files not usable; keeping the certificate in service', {
        reason,
        ...this.options.paths,
      });
    }
    return 'rejected';
  }
}

function contentHash(material: TlsMaterial): string {
  return createHash('sha256')
    .update(material.caPem)
    .update('\0')
    .update(material.certPem)
    .update('\0')
    .update(material.keyPem)
    .digest('hex');
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificates(pem: string, what: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate`);
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${what} holds an unreadable certificate: ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
}

/**
 * Throws unless `material` can be served as one set: readable certificates, a key that matches,
 * and a leaf issued by a CA in the CA file — which catches a set caught half-way through a CA
 * rotation. Returns the leaf (the first certificate of the certificate file).
 */
export function checkTlsFiles(material: TlsMaterial): X509Certificate {
  const cas = certificates(material.caPem, 'the CA file');
  const [leaf] = certificates(material.certPem, 'the certificate file');
  if (!leaf) throw new Error('the certificate file holds no PEM certificate');
  checkMaterial(material);
  if (!cas.some((ca) => leaf.checkIssued(ca) && leaf.verify(ca.publicKey)))
    throw new Error(`the certificate (issuer "${leaf.issuer}") was not issued by a CA in the CA file`);
  return leaf;
}
