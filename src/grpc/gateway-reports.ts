/**
 * The latest status each gateway reported over WorkerService.ReportStatus, kept in memory: it is
 * a live view that every worker replica rebuilds from the streams it receives, not state to
 * persist.
 */
import type { ReportStatusRequest } from '../generated/gateway/worker/v1/worker.js';
import { systemClock, type Clock } from '../runtime/clock.js';

export interface GatewayReport {
  readonly gateway: string;
  readonly healthy: boolean;
  /** When the gateway took the report, as it says (seconds since the epoch). */
  readonly timeUnix: number;
  readonly versions: Readonly<Record<string, string>>;
  readonly counters: Readonly<Record<string, number>>;
  /** When the worker received it (milliseconds since the epoch, from the injected clock). */
  readonly receivedAtMs: number;
}

export interface GatewayReportsOptions {
  clock?: Clock;
  /** Gateways remembered at most; the one that reported least recently is forgotten first. */
  maxGateways?: number;
}

/** Pods come and go under new names; the bound keeps a long-running worker's memory flat. */
const DEFAULT_MAX_GATEWAYS = 10_000;

export class GatewayReports {
  private readonly clock: Clock;
  private readonly maxGateways: number;
  // Insertion order is report order: record() re-inserts, so the first key is the stalest.
  private readonly reports = new Map<string, GatewayReport>();

  constructor(options: GatewayReportsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxGateways = options.maxGateways ?? DEFAULT_MAX_GATEWAYS;
    if (!(this.maxGateways >= 1)) throw new Error('GatewayReports: maxGateways must be at least 1');
  }

  record(request: ReportStatusRequest): GatewayReport {
    const report: GatewayReport = {
      gateway: request.gateway,
      healthy: request.healthy,
      timeUnix: request.timeUnix,
      versions: { ...request.versions },
      counters: { ...request.counters },
      receivedAtMs: this.clock.now(),
    };
    this.reports.delete(report.gateway);
    this.reports.set(report.gateway, report);
    if (this.reports.size > this.maxGateways) {
      const stalest = this.reports.keys().next();
      if (!stalest.done) this.reports.delete(stalest.value);
    }
    return report;
  }

  latest(gateway: string): GatewayReport | undefined {
    return this.reports.get(gateway);
  }

  /** Every remembered gateway's latest report, sorted by gateway name. */
  all(): GatewayReport[] {
    return [...this.reports.values()].sort((a, b) => a.gateway.localeCompare(b.gateway));
  }
}
