/**
 * What a scenario overflow (or a manual command) does: checks the allowlists, stores the
 * decision merged with what the value already has, records or extends the incident, and
 * publishes the bans in force to every gateway through the deny-list composition (source
 * `decisions`). Decisions live in storage, so a restarted or new leader publishes the same bans
 * at once; a timer publishes again when the next one expires, and a periodic re-read picks up
 * decisions the CLI changed in storage. Overflows are handled one at a time, in order.
 */
import type { Overflow } from '../domain/threats/correlation.js';
import {
  activeBans,
  isActive,
  mergeDecision,
  nextExpiry,
  type Decision,
} from '../domain/threats/decisions.js';
import { incidentUpdate, type Incident, type IncidentDecision } from '../domain/threats/incidents.js';
import { rangeSetVersion } from '../domain/threats/feed-rules.js';
import type { Clock, Timer } from '../runtime/clock.js';
import type { Logger } from '../runtime/logger.js';
import type { Database } from '../storage/database.js';
import { DecisionRepository } from '../storage/threats/decision-repository.js';
import { IncidentRepository } from '../storage/threats/incident-repository.js';
import type { DenyLists } from './deny-lists.js';
import type { IncidentHub } from './incident-hub.js';

/** The deny-list source id of decisions. */
export const DECISIONS_SOURCE = 'decisions';
/** How often storage is read again for decisions the CLI added or deleted. */
export const RESYNC_MS = 5_000;

export interface DecisionServiceOptions {
  readonly db: Database;
  readonly schema: string;
  readonly denyLists: DenyLists;
  /** The pusher owner decisions are published under: pushOwner('ThreatPolicy', ...). */
  readonly owner: string;
  readonly incidents: IncidentHub;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly resyncMs?: number;
  /** After each publication: how many ranges went out (metrics, tests). */
  readonly onPublished?: (ranges: number, version: string) => void;
}

export class DecisionService {
  readonly decisions: DecisionRepository;
  readonly incidentStore: IncidentRepository;
  private chain: Promise<unknown> = Promise.resolve();
  private expiryTimer: Timer | undefined;
  private resyncTimer: Timer | undefined;
  private publishedVersion: string | undefined;
  private stopped = false;

  constructor(private readonly options: DecisionServiceOptions) {
    this.decisions = new DecisionRepository(options.db, options.schema);
    this.incidentStore = new IncidentRepository(options.db, options.schema);
  }

  /** Publishes the decisions in force and keeps them current until stop(). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.serially(() => this.publish());
    this.scheduleResync();
  }

  stop(): void {
    this.stopped = true;
    this.expiryTimer?.cancel();
    this.resyncTimer?.cancel();
    this.options.denyLists.remove(DECISIONS_SOURCE);
    this.publishedVersion = undefined;
  }

  /** Acts on one overflow of `policy` (`namespace/name`); resolves with the incident. */
  handle(policy: string, overflow: Overflow): Promise<Incident> {
    return this.serially(() => this.decide(policy, overflow));
  }

  /** Waits for every overflow handed in so far. */
  idle(): Promise<void> {
    return this.serially(() => Promise.resolve());
  }

  /** Publishes again from storage (after a CLI change, or on a timer). */
  refresh(): Promise<void> {
    return this.serially(() => this.publish());
  }

  private async decide(policy: string, overflow: Overflow): Promise<Incident> {
    const { scenario, value } = overflow;
    const now = this.options.clock.now();
    const decided: IncidentDecision[] = [];
    const { type, scope } = scenario.response;
    if (type === 'log' || value === undefined) {
      decided.push({ scope, value: value ?? overflow.key, type: 'log', outcome: 'logged' });
    } else if (this.options.denyLists.isProtected(value.replace(/\/\d+$/, ''))) {
      // Allowlisted (or private) space is never decided, whatever the scenario says.
      decided.push({ scope, value, type, outcome: 'allowlisted' });
    } else if (scenario.mode === 'DryRun') {
      const existing = await this.decisions.get(scope, value);
      const would = mergeDecision(existing, request(overflow, scope, value, type), now);
      decided.push({ scope, value, type, until: iso(would.untilMs), outcome: 'dry-run' });
    } else {
      const stored = await this.decisions.decide(request(overflow, scope, value, type), now);
      decided.push({ scope, value, type: stored.type, until: iso(stored.untilMs), outcome: 'applied' });
      if (stored.type === 'ban') await this.publish();
    }
    const { incident, opened } = await this.incidentStore.record(incidentUpdate(policy, overflow, decided));
    this.options.logger.info('scenario overflowed', {
      scenario: scenario.id,
      source: overflow.key,
      events: overflow.events,
      decision: decided.map((d) => `${d.type} ${d.value} (${d.outcome})`).join(', '),
    });
    this.options.incidents.publish(incident, opened ? 'opened' : 'extended');
    return incident;
  }

  /** Publishes the bans in force, if they changed, and arms the timer of the next expiry. */
  private async publish(): Promise<void> {
    if (this.stopped) return;
    const now = this.options.clock.now();
    const active = await this.decisions.list(now);
    const ranges = activeBans(active, now);
    const version = rangeSetVersion(ranges);
    if (version !== this.publishedVersion) {
      const published = this.options.denyLists.set({
        id: DECISIONS_SOURCE,
        owner: this.options.owner,
        selector: undefined,
        ranges,
        version,
      });
      this.publishedVersion = version;
      this.options.onPublished?.(published.ranges, published.version);
    }
    this.armExpiry(active, now);
  }

  private armExpiry(active: readonly Decision[], now: number): void {
    this.expiryTimer?.cancel();
    const next = nextExpiry(
      active.filter((d) => d.type === 'ban' && isActive(d, now)),
      now,
    );
    if (next === undefined || this.stopped) return;
    this.expiryTimer = this.options.clock.setTimer(Math.max(0, next - now) + 1, () => {
      this.refresh().catch((err: unknown) => this.failed('publishing expired decisions', err));
    });
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.options.clock.setTimer(this.options.resyncMs ?? RESYNC_MS, () => {
      this.refresh()
        .catch((err: unknown) => this.failed('reading decisions', err))
        .finally(() => this.scheduleResync());
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.chain.then(work, work);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private failed(what: string, err: unknown): void {
    this.options.logger.error(`threat decisions: ${what} failed`, {
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

function request(overflow: Overflow, scope: 'ip' | 'range', value: string, type: 'ban' | 'rate_limit') {
  return {
    scope,
    value,
    type,
    origin: 'scenario' as const,
    scenario: overflow.scenario.id,
    reason: `${overflow.events} events from ${overflow.key} overflowed ${overflow.scenario.id}`,
    response: overflow.scenario.response,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
