/**
 * Keeps one scope (a namespace, or the whole cluster) of a store in step with the API server:
 * list, then watch from the list's resourceVersion. It is built around client-node's known
 * informer traps: it always restarts (any error, not only 410), backs off with jitter before
 * reconnecting (no restart storms), relists periodically and restarts a watch that has gone
 * silent (a watchdog), so a stalled stream can never freeze the cache.
 */
import type { Clock } from '../clock.js';
import type { KubeClient, WatchEvent } from '../kube/client.js';
import { ApiError, isGone, type Status } from '../kube/errors.js';
import {
  objectKey,
  resourcePath,
  type KubeObject,
  type ObjectList,
  type ResourceType,
} from '../kube/resource.js';
import type { Logger } from '../logger.js';
import { Backoff } from '../backoff.js';

export interface ReflectorOptions<T extends KubeObject> {
  readonly client: KubeClient;
  readonly type: ResourceType;
  /** undefined: every namespace (or a cluster-scoped type). */
  readonly namespace: string | undefined;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly metadataOnly?: boolean;
  readonly pageSize: number;
  readonly relistPeriodMs: number;
  readonly watchdogMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  readonly transform: (obj: KubeObject) => T;
  /** Called with the full listed state of the scope; the informer diffs it against the store. */
  readonly onReplace: (objects: T[]) => void;
  readonly onEvent: (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T) => void;
}

const METADATA_LIST_ACCEPT =
  'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
const METADATA_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

class WatchSilent extends Error {}

export class Reflector<T extends KubeObject> {
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private resourceVersion = '';
  private lastList = 0;
  private loop: Promise<void> | undefined;
  synced = false;

  constructor(private readonly options: ReflectorOptions<T>) {
    // client-go's reflector: 800 ms doubling to 30 s, fully jittered.
    this.backoff = new Backoff({ initialMs: 800, maxMs: 30_000, jitter: 1, random: options.random });
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  // A method, not a getter: the flag flips during awaits, which type narrowing cannot see.
  private isStopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    let needList = true;
    while (!this.isStopped()) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        needList = await this.watchUntilRelist();
        this.backoff.reset();
      } catch (error) {
        if (this.isStopped()) return;
        if (isGone(error)) {
          needList = true;
          continue;
        }
        const delay = retryAfterMs(error) ?? this.backoff.next();
        this.options.logger.warn('list/watch failed; retrying', {
          resource: this.options.type.plural,
          namespace: this.options.namespace ?? '',
          error: errorMessage(error),
          retryInMs: Math.round(delay),
        });
        await this.sleep(delay);
      }
    }
  }

  private async list(): Promise<void> {
    const { client, type, namespace, pageSize } = this.options;
    const objects: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page: Omit<ObjectList, 'items'> & { items: ObjectList['items'] | null } = await client.list(
        type,
        namespace,
        {
          limit: pageSize,
          continue: continueToken,
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
        },
        this.options.metadataOnly ? METADATA_LIST_ACCEPT : undefined,
      );
      // An empty PartialObjectMetadataList comes back with `items: null` (a nil Go slice).
      for (const item of page.items ?? []) objects.push(this.options.transform(item));
      continueToken = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion ?? '';
    } while (continueToken && !this.isStopped());
    if (this.isStopped()) return;
    this.resourceVersion = resourceVersion;
    this.lastList = this.options.clock.now();
    this.options.onReplace(objects);
    this.synced = true;
  }

  /** Watches until a relist is due (returns true) or the reflector stops; throws on errors. */
  private async watchUntilRelist(): Promise<boolean> {
    const { client, type, namespace, clock, watchdogMs, relistPeriodMs } = this.options;
    while (!this.isStopped()) {
      if (clock.now() - this.lastList >= relistPeriodMs) return true;
      const attempt = new AbortController();
      const onStop = (): void => attempt.abort();
      this.abort.signal.addEventListener('abort', onStop, { once: true });
      const watch = { silent: false };
      const armWatchdog = () =>
        clock.setTimer(watchdogMs, () => {
          watch.silent = true;
          attempt.abort();
        });
      let watchdog = armWatchdog();
      const resetWatchdog = (): void => {
        watchdog.cancel();
        watchdog = armWatchdog();
      };
      // The server ends each watch after 5–10 minutes (client-go's spread), or sooner if a relist is due.
      const untilRelist = Math.max(1, Math.floor((relistPeriodMs - (clock.now() - this.lastList)) / 1000));
      const timeoutSeconds = Math.min(untilRelist, Math.floor(300 + 300 * this.options.random()));
      try {
        await client.watch(
          resourcePath(type, namespace),
          {
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            timeoutSeconds,
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
          },
          (event) => {
            resetWatchdog();
            this.handle(event);
          },
          {
            signal: attempt.signal,
            accept: this.options.metadataOnly ? METADATA_ACCEPT : undefined,
            resource: type.plural,
          },
        );
      } catch (error) {
        if (this.isStopped()) return false;
        if (!watch.silent) throw error;
      } finally {
        watchdog.cancel();
        this.abort.signal.removeEventListener('abort', onStop);
      }
      if (watch.silent) {
        this.options.logger.warn('watch silent for too long; restarting it', {
          resource: type.plural,
          namespace: namespace ?? '',
          silentMs: watchdogMs,
        });
        throw new WatchSilent(`no watch event for ${watchdogMs} ms`);
      }
    }
    return false;
  }

  private handle(event: WatchEvent): void {
    if (event.type === 'ERROR') {
      const status = event.object as unknown as Status;
      throw new ApiError(
        status.code ?? 500,
        status.reason ?? '',
        `watch error: ${status.message ?? ''}`,
        status,
      );
    }
    const rv = event.object.metadata.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return;
    const obj = this.options.transform(event.object);
    if (!objectKey(obj)) return;
    this.options.onEvent(event.type, obj);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimer(ms, done);
      const onStop = (): void => {
        timer.cancel();
        done();
      };
      function done(): void {
        resolve();
      }
      this.abort.signal.addEventListener('abort', onStop, { once: true });
    });
  }
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || error.code !== 429) return undefined;
  const seconds = (error.status?.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
  return seconds ? seconds * 1000 : 1000;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
