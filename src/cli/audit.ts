/**
 * `gateway-worker audit verify|export`: checks the audit trail's hash chain (every edited,
 * deleted or moved entry is named; exit 1), and writes entries as NDJSON or CSV. Reads the
 * database directly with the operator's configuration, like `jobs`.
 */
import type { AuditEntry } from '../domain/telemetry/audit-chain.js';
import { canonicalJson } from '../domain/telemetry/audit-chain.js';
import { parseDuration } from '../http-api/query.js';
import { AuditStore } from '../telemetry/audit-store.js';
import { parseValueFlags } from './flags.js';
import type { Output } from './main.js';
import { openStore } from './store-access.js';

const USAGE = `Usage: gateway-worker audit <command>
  verify                                     recompute the hash chain; exit 1 and name each entry
                                             edited, deleted or out of order
  export [--since 24h] [--until TIME] [--format ndjson|csv]
                                             entries oldest first (default: the last 24 hours, NDJSON)
TIME is RFC 3339 (2026-01-05T10:00:00Z) or a duration before now (30m, 24h, 7d). The database
comes from DATABASE_URL (or the embedded store when the operator is not running).
`;

const EXPORT_LIMIT = 10_000;

export async function runAudit(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === '-h' || command === '--help') {
    out.stdout(USAGE);
    return 0;
  }
  if (command === undefined) {
    out.stderr(`gateway-worker audit: name a command\n\n${USAGE}`);
    return 2;
  }
  if (command !== 'verify' && command !== 'export') {
    out.stderr(`gateway-worker audit: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  const flags = parseValueFlags(rest, command === 'export' ? ['--since', '--until', '--format'] : []);
  const usage = (problem: string) => {
    out.stderr(`gateway-worker audit ${command}: ${problem}\n\n${USAGE}`);
    return 2;
  };
  if (typeof flags === 'string') return usage(flags);
  if (flags.positional.length > 0) return usage(`takes no arguments, got "${flags.positional.join(' ')}"`);
  const now = Date.now();
  const since = timeArg(flags.values.get('--since') ?? '24h', now);
  const until = timeArg(flags.values.get('--until') ?? '0s', now);
  const format = flags.values.get('--format') ?? 'ndjson';
  if (since === undefined)
    return usage(`--since ${flags.values.get('--since') ?? ''}: must be RFC 3339 or a duration (24h)`);
  if (until === undefined)
    return usage(`--until ${flags.values.get('--until') ?? ''}: must be RFC 3339 or a duration (1h)`);
  if (format !== 'ndjson' && format !== 'csv') return usage(`--format ${format}: must be ndjson or csv`);

  const opened = await openStore(env, out, 'audit');
  if ('exitCode' in opened) return opened.exitCode;
  try {
    const store = new AuditStore(opened.db, opened.config.databaseSchema);
    if (command === 'verify') {
      const result = await store.verify();
      for (const problem of result.problems) out.stderr(`${problem.problem.padEnd(12)} ${problem.message}\n`);
      const head = result.head ? `; last entry ${result.head.sequence}, hash ${result.head.hash}` : '';
      const from = result.anchor
        ? ` (from entry ${result.anchor.sequence + 1}: older ones were archived)`
        : '';
      if (result.problems.length > 0) {
        out.stderr(
          `audit trail TAMPERED: ${result.problems.length} problem(s) in ${result.checked} entries${from}\n`,
        );
        return 1;
      }
      out.stdout(`audit trail intact: ${result.checked} entries checked${from}${head}\n`);
      return 0;
    }
    let after: number | undefined;
    let header = format === 'csv';
    for (;;) {
      const page = await store.list({
        since: new Date(since),
        until: new Date(until),
        ascending: true,
        limit: EXPORT_LIMIT,
        ...(after === undefined ? {} : { afterSequence: after }),
      });
      for (const entry of page) {
        if (header) {
          out.stdout(`${CSV_COLUMNS.join(',')}\n`);
          header = false;
        }
        out.stdout(format === 'csv' ? csvLine(entry) : `${JSON.stringify(exported(entry))}\n`);
      }
      const last = page.at(-1);
      if (!last || page.length < EXPORT_LIMIT) break;
      after = last.sequence;
    }
    return 0;
  } catch (err) {
    out.stderr(`gateway-worker audit ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await opened.db.close();
  }
}

function timeArg(raw: string, now: number): number | undefined {
  const ago = parseDuration(raw);
  if (ago !== undefined) return now - ago;
  const at = Date.parse(raw);
  return /^[0-9]{4}-[0-9]{2}-[0-9]{2}T/.test(raw) && Number.isFinite(at) ? at : undefined;
}

const CSV_COLUMNS = [
  'sequence',
  'time',
  'action',
  'actor',
  'kind',
  'namespace',
  'name',
  'generation',
  'summary',
  'details',
  'previous_hash',
  'hash',
];

function exported(entry: AuditEntry) {
  return {
    sequence: entry.sequence,
    time: new Date(entry.timeMs).toISOString(),
    action: entry.action,
    actor: entry.actor,
    kind: entry.kind,
    namespace: entry.namespace,
    name: entry.name,
    generation: entry.generation,
    summary: entry.summary,
    details: entry.details,
    previousHash: entry.previousHash,
    hash: entry.hash,
  };
}

function csvLine(entry: AuditEntry): string {
  const cells = [
    String(entry.sequence),
    new Date(entry.timeMs).toISOString(),
    entry.action,
    entry.actor,
    entry.kind,
    entry.namespace,
    entry.name,
    String(entry.generation),
    entry.summary,
    canonicalJson(entry.details),
    entry.previousHash,
    entry.hash,
  ];
  return `${cells.map(csvCell).join(',')}\n`;
}

/** RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
