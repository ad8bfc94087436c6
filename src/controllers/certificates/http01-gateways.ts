/**
 * HTTP-01 through the gateways: each token and key authorization is pushed (as an ACME
 * challenge resource) to every gateway the Certificate selects, and present() resolves once
 * they all applied it, so the CA is told to look only when every gateway can answer.
 */
import type { Http01Publisher } from '../../acme/index.js';
import type { LabelSelector } from '../../api/meta/label-selector.js';
import { contentVersion, type ConfigResource } from '../../domain/snapshot/snapshot.js';
import type { Clock } from '../../runtime/clock.js';
import type { Publisher } from '../publisher.js';

const POLL_MS = 50;
const PRESENT_TIMEOUT_MS = 60_000;

export class GatewayHttp01Publisher implements Http01Publisher {
  private readonly challenges = new Map<string, ConfigResource>();

  constructor(
    private readonly publisher: Publisher,
    /** The pusher owner of this Certificate's challenges, apart from its certificate. */
    private readonly owner: string,
    private readonly selector: LabelSelector | undefined,
    private readonly clock: Clock,
  ) {}

  async present(token: string, keyAuthorization: string): Promise<void> {
    const payload = new TextEncoder().encode(JSON.stringify({ token, keyAuthorization }));
    this.challenges.set(token, {
      type: 'acme',
      name: `${this.owner}/${token}`,
      version: contentVersion(payload),
      payload,
    });
    this.publish();
    const deadline = this.clock.now() + PRESENT_TIMEOUT_MS;
    for (;;) {
      const status = this.publisher.status(this.owner);
      if (status.selected === 0) {
        throw new Error(
          'no gateway pod matches the gateway selector, so none can answer the HTTP-01 challenge',
        );
      }
      if (status.synced === status.selected) return;
      if (status.failed > 0) {
        throw new Error(
          `gateways refused the HTTP-01 challenge: ${status.failures.map((f) => `${f.gateway}: ${f.message}`).join('; ')}`,
        );
      }
      if (this.clock.now() >= deadline) {
        throw new Error(
          `only ${status.summary} gateways applied the HTTP-01 challenge within ${PRESENT_TIMEOUT_MS / 1000} s`,
        );
      }
      await new Promise<void>((resolve) => this.clock.setTimer(POLL_MS, resolve));
    }
  }

  cleanup(token: string): Promise<void> {
    if (this.challenges.delete(token)) this.publish();
    return Promise.resolve();
  }

  /** Withdraws every challenge (the order ended). */
  clear(): void {
    this.challenges.clear();
    this.publisher.withdraw(this.owner);
  }

  private publish(): void {
    if (this.challenges.size === 0) this.publisher.withdraw(this.owner);
    else this.publisher.publish(this.owner, this.selector, [...this.challenges.values()]);
  }
}
