/**
 * The Certificate reconciler with no API server: a {@link FakeKube} behind the client and the
 * informer caches, a fake clock, a publisher that remembers what it was given, and Events and
 * log lines collected for assertions. ACME attempts are real: pointed at a closed port they
 * fail the way an unreachable CA does.
 */
import { CertificateResource, type Certificate } from '../../api/v1alpha1/index.js';
import type { RetryOptions } from '../../domain/acme/index.js';
import type { CertificateResource as PushedCertificate } from '../../domain/snapshot/snapshot.js';
import type { PushStatus } from '../../push/push-status.js';
import { FakeClock } from '../../runtime/clock.js';
import type { ReconcileResult } from '../../runtime/controller/controller.js';
import type { Regarding } from '../../runtime/events/event.js';
import { FakeKube } from '../../runtime/kube/fake-client.test-support.js';
import { CoreTypes } from '../../runtime/kube/resource.js';
import type { LogFields, Logger } from '../../runtime/logger.js';
import type { Publisher } from '../publisher.js';
import { CertificateReconciler } from './controller.js';
import type { Secret } from './issuer.js';

export interface LogLine {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly msg: string;
  readonly fields: LogFields;
}

export function recordingLogger(lines: LogLine[], base: LogFields = {}): Logger {
  const write =
    (level: LogLine['level']) =>
    (msg: string, fields: LogFields = {}): void => {
      lines.push({ level, msg, fields: { ...base, ...fields } });
    };
  return {
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    child: (fields) => recordingLogger(lines, { ...base, ...fields }),
  };
}

/** Remembers what each owner publishes; every selected gateway applies it at once. */
export class FakePublisher implements Publisher {
  readonly published = new Map<string, readonly PushedCertificate[]>();
  gateways = 2;

  publish(
    owner: string,
    _selector: unknown,
    _config: unknown[],
    certificates: PushedCertificate[] = [],
  ): void {
    this.published.set(owner, certificates);
  }

  withdraw(owner: string): void {
    this.published.delete(owner);
  }

  status(owner: string): PushStatus {
    const synced = this.published.has(owner) ? this.gateways : 0;
    return {
      selected: this.gateways,
      synced,
      failed: 0,
      summary: `${synced}/${this.gateways}`,
      failures: [],
    };
  }
}

export interface RecordedEvent {
  readonly type: string;
  readonly reason: string;
  readonly note: string;
}

/** A directory URL nothing listens on: connections are refused, as with a CA that is down. */
export const DOWN_CA = 'https://127.0.0.1:1/directory';

export class CertificateHarness {
  readonly kube = new FakeKube();
  readonly clock = new FakeClock();
  readonly publisher = new FakePublisher();
  readonly events: RecordedEvent[] = [];
  readonly logs: LogLine[] = [];
  readonly enqueued: string[] = [];
  reconciler: CertificateReconciler;
  private reconciles = 0;

  constructor(private readonly retry: RetryOptions = {}) {
    this.reconciler = this.build();
  }

  /** A new reconciler on the same API server: what a restarted operator or a new leader is. */
  restart(): void {
    this.reconciler = this.build();
  }

  seed(cert: Certificate): Certificate {
    return this.kube.seed(CertificateResource, cert);
  }

  seedSecret(secret: Secret): Secret {
    return this.kube.seed(CoreTypes.secret, secret);
  }

  certificate(name: string): Certificate {
    const cert = this.kube.stored(CertificateResource, 'default', name);
    if (!cert) throw new Error(`no Certificate ${name}`);
    return cert as Certificate;
  }

  reconcile(name: string): Promise<ReconcileResult | undefined> {
    this.reconciles += 1;
    const reconcileID = `r${this.reconciles}`;
    return this.reconciler.reconcile(
      { key: `default/${name}`, namespace: 'default', name },
      {
        logger: recordingLogger(this.logs, { namespace: 'default', name, reconcileID }),
        reconcileID,
        signal: new AbortController().signal,
      },
    );
  }

  /** Waits for the attempt of `name` to end (its outcome written). */
  async attemptEnded(name: string): Promise<void> {
    await this.reconciler.attempts.settled(`default/${name}`);
    // The attempt's finally() runs on the tick after its promise settles.
    await new Promise((resolve) => setImmediate(resolve));
  }

  async stop(): Promise<void> {
    await this.reconciler.stop();
  }

  private build(): CertificateReconciler {
    return new CertificateReconciler(
      {
        client: this.kube,
        publisher: () => this.publisher,
        recorder: {
          record: (_obj: Regarding, type: string, reason: string, note: string) => {
            this.events.push({ type, reason, note });
          },
        },
        logger: recordingLogger(this.logs),
        namespace: 'gateway-worker-system',
        clock: this.clock,
        retry: this.retry,
      },
      { store: this.kube.cache<Certificate>(CertificateResource) },
      { store: this.kube.cache<Secret>(CoreTypes.secret) },
      (key) => this.enqueued.push(key),
    );
  }
}
