/**
 * Records what a CLI command did (rollback, backup, restore) in the audit trail. The command's
 * own work is done by then: when the trail cannot be reached (no database here, or the embedded
 * store held by a running operator) it says so on stderr and the command still succeeds.
 */
import { userInfo } from 'node:os';
import type { AuditAction } from '../domain/telemetry/audit-chain.js';
import { AuditStore } from '../telemetry/audit-store.js';
import type { Output } from './main.js';
import { openAuditStore } from './store-access.js';

export interface CliAuditEvent {
  readonly action: AuditAction;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly generation?: number;
  readonly summary: string;
  readonly details?: Record<string, unknown>;
}

export async function recordCliAudit(
  env: NodeJS.ProcessEnv,
  out: Output,
  event: CliAuditEvent,
): Promise<void> {
  const opened = await openAuditStore(env);
  if (typeof opened === 'string') {
    out.stderr(`note: not recorded in the audit trail: ${opened}\n`);
    return;
  }
  try {
    await new AuditStore(opened.db, opened.schema).append([
      {
        timeMs: Date.now(),
        actor: `cli:${safeUser()}`,
        generation: 0,
        details: {},
        ...event,
      },
    ]);
  } catch (err) {
    out.stderr(
      `note: not recorded in the audit trail: ${err instanceof Error ? err.message : String(err)}\n`,
    );
  } finally {
    await opened.db.close();
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
