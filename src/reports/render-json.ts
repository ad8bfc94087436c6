/** JSON rendering: the model itself, indented, with a format version for consumers. */
import type { ReportModel } from '../domain/reports/report-model.js';

export const REPORT_JSON_VERSION = 1;

export function renderJson(model: ReportModel): string {
  return `${JSON.stringify({ version: REPORT_JSON_VERSION, ...model }, null, 2)}\n`;
}
