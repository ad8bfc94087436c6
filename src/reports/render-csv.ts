/**
 * CSV rendering: one table per block, each block introduced by a `# section/table` line and
 * separated from the next by an empty line, so a spreadsheet shows them apart and a script splits
 * on blank lines. Fields are quoted per RFC 4180 when they need it.
 */
import type { ReportModel } from '../domain/reports/report-model.js';
import { sectionTables, type Cell } from './report-tables.js';

function field(cell: Cell): string {
  const text = cell === null ? '' : String(cell);
  return /[",\r\n]/.test(text) || text.startsWith('#') ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(model: ReportModel): string {
  const blocks: string[] = [
    [
      '# report',
      'generated_at,window,since,until,namespace',
      [model.generatedAt, model.window, model.since, model.until, model.namespace ?? ''].map(field).join(','),
    ].join('\r\n'),
  ];
  for (const section of model.sections) {
    for (const table of sectionTables(model, section)) {
      const lines = [`# ${section}/${table.name}`, table.columns.join(',')];
      for (const row of table.rows) lines.push(row.map(field).join(','));
      blocks.push(lines.join('\r\n'));
    }
  }
  return `${blocks.join('\r\n\r\n')}\r\n`;
}
