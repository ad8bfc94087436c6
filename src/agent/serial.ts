/**
 * Runs async tasks one at a time in arrival order. Updates can arrive on several streams at once
 * (a reconnecting worker, a new leader); applying them one by one keeps files and recorded
 * versions consistent with each other.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    // The chain must survive a failed task; the caller still sees the failure through `result`.
    this.tail = result.catch(() => undefined);
    return result;
  }
}
