/** gather → model → rendering, shared by the CLI's ad-hoc reports and the scheduled job. */
import type { ReportModel } from '../domain/reports/report-model.js';
import { buildReport } from '../domain/reports/report-model.js';
import type { ReportFormat, ReportSection } from '../domain/reports/sections.js';
import { gatherReportData, type GatherOptions } from './gather.js';
import type { RenderedReport } from './render.js';

export interface GeneratedReport {
  readonly model: ReportModel;
  readonly files: readonly RenderedReport[];
}

export async function generateReport(
  options: GatherOptions & {
    readonly sections: readonly ReportSection[];
    readonly formats: readonly ReportFormat[];
    readonly title?: string;
  },
): Promise<GeneratedReport> {
  const model = buildReport(await gatherReportData(options), options.sections);
  // The renderers bring ECharts, loaded with the first report rather than at the operator's start.
  const { renderReport } = await import('./render.js');
  return { model, files: options.formats.map((format) => renderReport(model, format, options.title)) };
}
