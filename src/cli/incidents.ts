/**
 * `gateway-worker incidents list|show`: the incidents ThreatPolicy scenarios opened, newest
 * first, and one in full (samples, hosts, routes, decisions) as JSON. Reads the database with the
 * operator's configuration, like `audit`.
 */
import { parseDuration } from '../http-api/query.js';
import { IncidentRepository } from '../storage/threats/incident-repository.js';
import { incidentJson } from '../threats/incident-json.js';
import { parseValueFlags } from './flags.js';
import type { Output } from './main.js';
import { openStore } from './store-access.js';
import { renderTable } from './table.js';

const USAGE = `Usage: gateway-worker incidents <command>
  list [--since 24h] [--policy NAMESPACE/NAME] [--limit 100]
                                             incidents whose last event is that recent, newest first
  show ID                                    one incident in full, as JSON
`;

export async function runIncidents(
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
    out.stderr(`gateway-worker incidents${command ? ` ${command}` : ''}: ${problem}\n\n${USAGE}`);
    return 2;
  };
  if (command === undefined) return usage('name a command');
  if (command !== 'list' && command !== 'show') return usage(`unknown command "${command}"`);
  const flags = parseValueFlags(rest, command === 'list' ? ['--since', '--policy', '--limit'] : []);
  if (typeof flags === 'string') return usage(flags);
  if (command === 'show' && flags.positional.length !== 1) return usage('name one incident id');
  if (command === 'list' && flags.positional.length > 0)
    return usage(`takes no arguments, got "${flags.positional.join(' ')}"`);
  const sinceText = flags.values.get('--since') ?? '24h';
  const sinceMs = parseDuration(sinceText);
  if (sinceMs === undefined) return usage(`--since ${sinceText}: must be a duration (30m, 24h, 7d)`);
  const limitText = flags.values.get('--limit') ?? '100';
  const limit = Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    return usage(`--limit ${limitText}: must be 1 to 1000`);
  const policy = flags.values.get('--policy');
  if (policy !== undefined && !/^[a-z0-9-.]+\/[a-z0-9-.]+$/.test(policy))
    return usage(`--policy ${policy}: must be NAMESPACE/NAME`);

  const opened = await openStore(env, out, 'incidents');
  if ('exitCode' in opened) return opened.exitCode;
  try {
    const repo = new IncidentRepository(opened.db, opened.config.databaseSchema);
    if (command === 'show') {
      const id = flags.positional[0] ?? '';
      const incident = await repo.get(id);
      if (!incident) {
        out.stderr(`gateway-worker incidents show: no incident ${id}\n`);
        return 1;
      }
      out.stdout(`${JSON.stringify(incidentJson(incident), null, 2)}\n`);
      return 0;
    }
    const incidents = await repo.list({
      sinceMs: Date.now() - sinceMs,
      ...(policy ? { policy } : {}),
      limit,
    });
    out.stdout(
      renderTable(
        ['ID', 'SCENARIO', 'SOURCE', 'MODE', 'EVENTS', 'FIRST SEEN', 'LAST SEEN', 'DECISIONS'],
        incidents.map((i) => [
          i.id,
          i.scenario,
          i.source,
          i.mode,
          String(i.events),
          new Date(i.firstSeenMs).toISOString(),
          new Date(i.lastSeenMs).toISOString(),
          i.decisions.map((d) => `${d.type} ${d.value} (${d.outcome})`).join(', ') || '-',
        ]),
        [0, 4],
      ),
    );
    return 0;
  } finally {
    await opened.db.close();
  }
}
