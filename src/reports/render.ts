/** One entry point for the three formats: the model in, the file's text and content type out. */
import type { ReportModel } from '../domain/reports/report-model.js';
import { CONTENT_TYPES, type ReportFormat } from '../domain/reports/sections.js';
import { renderCsv } from './render-csv.js';
import { renderHtml } from './render-html.js';
import { renderJson } from './render-json.js';

export interface RenderedReport {
  readonly format: ReportFormat;
  readonly contentType: string;
  readonly body: string;
}

export function renderReport(model: ReportModel, format: ReportFormat, title?: string): RenderedReport {
  const body =
    format === 'html' ? renderHtml(model, title) : format === 'json' ? renderJson(model) : renderCsv(model);
  return { format, contentType: CONTENT_TYPES[format], body };
}
