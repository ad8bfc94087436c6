/**
 * `gateway-worker decisions list|add|delete`, like `cscli decisions`: reads and writes the
 * decisions table with the operator's configuration; the leading operator reads it again within
 * seconds (RESYNC_MS) and pushes the change to every gateway. Adds and deletes are recorded in
 * the audit trail. Allowlists still apply: an allowlisted address is never pushed, whatever is
 * stored here.
 */
import { activeBans, normalizeValue, type Decision } from '../domain/threats/decisions.js';
import { isEmpty } from '../domain/threats/ip-ranges.js';
import { parseDuration } from '../http-api/query.js';
import { recordCliAudit } from './audit-cli-record.js';
import { parseValueFlags } from './flags.js';
import type { Output } from './main.js';
import { openStore } from './store-access.js';
import { renderTable } from './table.js';
import { DecisionRepository } from '../storage/threats/decision-repository.js';

const USAGE = `Usage: gateway-worker decisions <command>
  list [--all]                               decisions in force (--all: expired ones too, the
                                             history escalation counts)
  add --ip ADDRESS | --range CIDR [--duration 4h] [--type ban|rate_limit] [--reason TEXT]
                                             decide now; merged with any decision on the same value
  delete --ip ADDRESS | --range CIDR         end a decision now
The leading operator pushes the change to every gateway within seconds. Allowlisted, private and
reserved addresses are never pushed. Durations: 30s, 5m, 4h, 7d (at most 365d).
`;

const MAX_DURATION_MS = 365 * 86_400_000;

export async function runDecisions(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === '-h' || command === '--help') {
    out.stdout(USAGE);
    return 0;
  }
  const usage = (problem: string) => {
    out.stderr(`gateway-worker decisions${command ? ` ${command}` : ''}: ${problem}\n\n${USAGE}`);
    return 2;
  };
  if (command === undefined) return usage('name a command');
  if (command !== 'list' && command !== 'add' && command !== 'delete')
    return usage(`unknown command "${command}"`);
  const all = rest.includes('--all');
  if (all && command !== 'list') return usage('--all is for list only');
  const allowed =
    command === 'list'
      ? []
      : command === 'add'
        ? ['--ip', '--range', '--duration', '--type', '--reason']
        : ['--ip', '--range'];
  const flags = parseValueFlags(
    rest.filter((a) => a !== '--all'),
    allowed,
  );
  if (typeof flags === 'string') return usage(flags);
  if (flags.positional.length > 0) return usage(`takes no arguments, got "${flags.positional.join(' ')}"`);

  let target: { scope: 'ip' | 'range'; value: string } | undefined;
  if (command !== 'list') {
    const ip = flags.values.get('--ip');
    const range = flags.values.get('--range');
    if ((ip === undefined) === (range === undefined)) return usage('give exactly one of --ip and --range');
    const normalized = normalizeValue(ip ?? range ?? '');
    if ('problem' in normalized) return usage(normalized.problem);
    if (ip !== undefined && normalized.scope !== 'ip')
      return usage(`--ip ${ip}: a single address, or use --range`);
    if (range !== undefined && normalized.scope !== 'range')
      return usage(`--range ${range}: a CIDR such as 203.0.113.0/24, or use --ip`);
    target = normalized;
  }
  const durationText = flags.values.get('--duration') ?? '4h';
  const durationMs = parseDuration(durationText);
  if (durationMs === undefined || durationMs < 1000 || durationMs > MAX_DURATION_MS)
    return usage(`--duration ${durationText}: must be a duration from 1s to 365d (30s, 5m, 4h, 7d)`);
  const type = flags.values.get('--type') ?? 'ban';
  if (type !== 'ban' && type !== 'rate_limit') return usage(`--type ${type}: must be ban or rate_limit`);
  if (target && command === 'add' && type === 'ban' && isEmpty(activeBans([probe(target)], 0)))
    return usage(`${target.value} is broader than a deny list may hold (at most a /8, or /12 for IPv6)`);

  const opened = await openStore(env, out, 'decisions');
  if ('exitCode' in opened) return opened.exitCode;
  const repo = new DecisionRepository(opened.db, opened.config.databaseSchema);
  const now = Date.now();
  try {
    if (command === 'list') {
      const decisions = await repo.list(now, all);
      out.stdout(
        renderTable(
          ['SCOPE', 'VALUE', 'TYPE', 'ORIGIN', 'SCENARIO', 'OFFENCES', 'UNTIL', 'STATE'],
          decisions.map((d) => row(d, now)),
          [5],
        ),
      );
      return 0;
    }
    if (!target) return 2;
    if (command === 'add') {
      const reason = flags.values.get('--reason') ?? 'added by hand';
      const stored = await repo.decide(
        {
          ...target,
          type,
          origin: 'manual',
          scenario: 'manual',
          reason,
          response: { durationMs, maxDurationMs: undefined, escalationWindowMs: 0 },
        },
        now,
      );
      out.stdout(`${stored.type} ${stored.value} until ${new Date(stored.untilMs).toISOString()}\n`);
      await recordCliAudit(env, out, {
        action: 'decision',
        kind: 'Decision',
        namespace: '',
        name: stored.value,
        summary: `decisions add: ${stored.type} ${stored.value} for ${durationText} (${reason})`,
        details: {
          scope: stored.scope,
          type: stored.type,
          until: new Date(stored.untilMs).toISOString(),
          reason,
        },
      });
      return 0;
    }
    const ended = await repo.expire(target.scope, target.value, now);
    if (!ended) {
      out.stderr(`gateway-worker decisions delete: no decision on ${target.value} is in force\n`);
      return 1;
    }
    out.stdout(`deleted the decision on ${target.value}\n`);
    await recordCliAudit(env, out, {
      action: 'decision',
      kind: 'Decision',
      namespace: '',
      name: target.value,
      summary: `decisions delete: ${target.value}`,
      details: { scope: target.scope },
    });
    return 0;
  } finally {
    await opened.db.close();
  }
}

function row(d: Decision, now: number): string[] {
  return [
    d.scope,
    d.value,
    d.type,
    d.origin,
    d.scenario,
    String(d.offences),
    new Date(d.untilMs).toISOString(),
    d.untilMs > now ? 'active' : 'expired',
  ];
}

/** A decision on `target` in force at 0, to ask whether a deny list could hold it. */
function probe(target: { scope: 'ip' | 'range'; value: string }): Decision {
  return {
    ...target,
    type: 'ban',
    origin: 'manual',
    scenario: 'manual',
    reason: '',
    offences: 1,
    createdAtMs: 0,
    updatedAtMs: 0,
    untilMs: 1,
  };
}
