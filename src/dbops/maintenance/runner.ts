/**
 * One maintenance run: collect the statistics, decide the findings (src/domain/dbops), and in
 * mode Apply run their fixes one at a time while the window is open — none starts after it
 * closes. A fix that fails is reported on its finding; the others still run.
 */
import { performance } from 'node:perf_hooks';
import {
  activityFindings,
  indexFindings,
  tableFindings,
  windowState,
  type Finding,
  type MaintenanceThresholds,
  type MaintenanceWindow,
} from '../../domain/dbops/index.js';
import type { Logger } from '../../runtime/logger.js';
import type { GatewayClient } from '../connection/client.js';
import { connectionError, describeServerError, isStatementError } from '../connection/errors.js';
import { collectStatistics } from './collect.js';

export interface MaintenanceOptions {
  readonly mode: 'Recommend' | 'Apply';
  readonly thresholds: MaintenanceThresholds;
  /** Undefined: fixes may run whenever the run happens. */
  readonly window: MaintenanceWindow | undefined;
  readonly now: () => Date;
  readonly signal?: AbortSignal;
  readonly logger: Logger;
  /** After each fix that ran (audit). */
  readonly onApplied?: (finding: Finding, ms: number) => void;
}

export interface AppliedFinding extends Finding {
  readonly applied: boolean;
  /** Why a fix did not run or failed. */
  readonly note?: string;
}

export interface MaintenanceResult {
  readonly findings: AppliedFinding[];
  readonly applied: number;
  /** What the window meant for this run. */
  readonly windowNote: string | undefined;
}

export async function runMaintenance(
  client: GatewayClient,
  options: MaintenanceOptions,
): Promise<MaintenanceResult> {
  const stats = await collectStatistics(client);
  const found = [
    ...tableFindings(stats.tables, options.thresholds),
    ...indexFindings(stats.indexes, options.thresholds, stats.statsAgeMs),
    ...activityFindings(stats.activity, options.thresholds),
  ];
  if (options.mode === 'Recommend')
    return { findings: found.map((f) => ({ ...f, applied: false })), applied: 0, windowNote: undefined };

  const findings: AppliedFinding[] = [];
  let applied = 0;
  let windowNote: string | undefined;
  for (const finding of found) {
    if (finding.action === undefined) {
      findings.push({ ...finding, applied: false });
      continue;
    }
    const state = options.window ? windowState(options.window, options.now()) : undefined;
    if (state && !state.open) {
      windowNote = `the maintenance window is closed${state.opensAt ? `; it opens at ${state.opensAt.toISOString()}` : ''}: fixes wait for it`;
      findings.push({ ...finding, applied: false, note: 'waiting for the maintenance window' });
      continue;
    }
    options.signal?.throwIfAborted();
    const started = performance.now();
    try {
      await client.query(finding.action);
      applied += 1;
      findings.push({ ...finding, applied: true });
      options.logger.info('maintenance fix applied', {
        action: finding.action,
        ms: Math.round(performance.now() - started),
      });
      options.onApplied?.(finding, performance.now() - started);
    } catch (err) {
      if (options.signal?.aborted) throw err;
      if (!isStatementError(err)) throw connectionError(err, client.params);
      findings.push({ ...finding, applied: false, note: `failed: ${describeServerError(err)}` });
    }
  }
  return { findings, applied, windowNote };
}
