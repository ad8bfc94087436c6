/**
 * Finished runs of database operations, announced in this process: the controllers reconcile the
 * resource at once (instead of at their next poll) and a notification policy can subscribe to
 * failures. A run on another replica is seen by the controllers' poll of the run records.
 */
export interface RunFinished {
  /** The resource's kind, namespace and name. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly job: string;
  readonly outcome: 'succeeded' | 'failed';
  /** The Ready condition's reason on failure (MigrationFailed, Unreachable, ...). */
  readonly reason: string;
  readonly message: string;
  readonly finishedAt: Date;
}

export type RunListener = (event: RunFinished) => void;

export class RunEvents {
  private readonly listeners = new Set<RunListener>();

  subscribe(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: RunFinished): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the run is recorded either way.
      }
    }
  }
}
