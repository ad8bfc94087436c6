/**
 * Timing from a change to the last agent's ACK, for the push benchmarks and for "object write →
 * last ACK" once controllers publish: {@link timeToLastAck} starts the clock, runs `write`, asks
 * which version that write leads to, and stops the clock when every agent has ACKed it. Waiting
 * is driven by the Pusher's status events, not by polling, so it costs the measured process no
 * CPU of its own.
 */
import type { ConfigType } from '../src/domain/snapshot/snapshot.js';
import type { Pusher } from '../src/push/pusher.js';

export interface WriteToLastAck {
  /**
   * The change: a publish to the Pusher, or (with controllers) a write of a WafRuleSet to the API
   * server. The clock starts before it is called.
   */
  write(): Promise<void>;
  /**
   * The version agents must ACK for the change to count as delivered; called once `write`
   * resolves, and may wait (e.g. compute it from the written spec, or read it from status).
   */
  expectedVersion(): string | Promise<string>;
  /** Resolves once every agent has ACKed `version`. */
  lastAck(version: string): Promise<void>;
}

/** Milliseconds from calling `write` to the last ACK of the version it led to. */
export async function timeToLastAck(target: WriteToLastAck): Promise<number> {
  const start = performance.now();
  await target.write();
  await target.lastAck(await target.expectedVersion());
  return performance.now() - start;
}

/**
 * Wakes waiters whenever the Pusher reports a status change (every ACK or NACK, a gateway coming
 * or going). Pass {@link onStatusChange} as `PusherOptions.onStatusChange`.
 */
export class PushEvents {
  private readonly waiters = new Set<() => void>();

  readonly onStatusChange = (): void => {
    for (const waiter of [...this.waiters]) waiter();
  };

  /**
   * Resolves when `condition` holds, checked now and after every status change; rejects when it
   * throws (e.g. on a NACK) or after `timeoutMs`.
   */
  until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        try {
          if (condition()) finish();
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const timer = setTimeout(
        () => finish(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)),
        timeoutMs,
      );
      this.waiters.add(check);
      check();
    });
  }
}

/**
 * `lastAck` for a Pusher in this process: every one of `agents` connections has ACKed `version`
 * of the resource `type`/`name` (for a WafRuleSet, type 'waf' and its `namespace/name`). A NACK
 * of that version fails the wait at once rather than at the timeout.
 */
export function pusherLastAck(
  pusher: Pusher,
  events: PushEvents,
  resource: { readonly type: ConfigType; readonly name: string },
  agents: number,
): (version: string) => Promise<void> {
  return (version) =>
    events.until(`${agents} agents ACK ${resource.type} ${resource.name} at ${version}`, () => {
      const connections = pusher.gateways();
      for (const connection of connections) {
        const rejected = connection.outcome(resource.type)?.rejected;
        if (rejected?.sent.get(resource.name) === version)
          throw new Error(`${connection.gateway.name} NACKed ${version}: ${rejected.message}`);
      }
      return (
        connections.length === agents &&
        connections.every((c) => c.outcome(resource.type)?.applied.get(resource.name) === version)
      );
    });
}
