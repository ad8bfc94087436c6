/**
 * `gateway-worker report --since 24h|7d|30d --format html|json|csv [--namespace NS] [--sections a,b]`:
 * an ad-hoc report on stdout, from the operator's database (DATABASE_URL, or the embedded store
 * while the operator is stopped). Certificates are listed by the operator's scheduled reports
 * only: this command does not read the cluster.
 */
import { REPORT_WINDOWS, type ReportWindow } from '../domain/reports/report-data.js';
import { normaliseSections } from '../domain/reports/report-model.js';
import { REPORT_FORMATS, REPORT_SECTIONS, type ReportFormat } from '../domain/reports/sections.js';
import { parseValueFlags } from './flags.js';
import type { Output } from './main.js';
import { openStore } from './store-access.js';

const USAGE = `Usage: gateway-worker report [--since 24h|7d|30d] [--format html|json|csv] [--namespace NS]
                             [--sections ${REPORT_SECTIONS.join(',')}]
  Prints a report of the last --since (default 24h, ending at the start of the current hour) in
  --format (default html) on stdout; --namespace keeps only that namespace's routes, policies and
  resources; --sections picks sections (default all). The database comes from DATABASE_URL (or
  the embedded store when the operator is not running).
`;

export async function runReport(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  out: Output,
): Promise<number> {
  if (args[0] === '-h' || args[0] === '--help') {
    out.stdout(USAGE);
    return 0;
  }
  const usage = (problem: string) => {
    out.stderr(`gateway-worker report: ${problem}\n\n${USAGE}`);
    return 2;
  };
  const flags = parseValueFlags(args, ['--since', '--format', '--namespace', '--sections']);
  if (typeof flags === 'string') return usage(flags);
  if (flags.positional.length > 0) return usage(`takes no arguments, got "${flags.positional.join(' ')}"`);
  const since = flags.values.get('--since') ?? '24h';
  if (!(REPORT_WINDOWS as readonly string[]).includes(since))
    return usage(`--since ${since}: must be one of ${REPORT_WINDOWS.join(', ')}`);
  const format = flags.values.get('--format') ?? 'html';
  if (!(REPORT_FORMATS as readonly string[]).includes(format))
    return usage(`--format ${format}: must be one of ${REPORT_FORMATS.join(', ')}`);
  const namespace = flags.values.get('--namespace');
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    return usage(`--namespace ${namespace}: not a namespace name`);
  const sectionList = flags.values.get('--sections');
  const requested = sectionList === undefined ? [] : sectionList.split(',').map((s) => s.trim());
  const unknown = requested.filter((s) => !(REPORT_SECTIONS as readonly string[]).includes(s));
  if (unknown.length > 0) return usage(`--sections: unknown ${unknown.join(', ')}`);

  const opened = await openStore(env, out, 'report');
  if ('exitCode' in opened) return opened.exitCode;
  try {
    const { generateReport } = await import('../reports/generate.js');
    const report = await generateReport({
      db: opened.db,
      schema: opened.config.databaseSchema,
      window: since as ReportWindow,
      nowMs: Date.now(),
      ...(namespace === undefined ? {} : { namespace }),
      sections: normaliseSections(requested),
      formats: [format as ReportFormat],
    });
    for (const file of report.files) out.stdout(file.body);
    return 0;
  } finally {
    await opened.db.close();
  }
}
