/** The sections a report can hold, in the order they are shown; a Report's `sections` picks among them. */
export const REPORT_SECTIONS = [
  'traffic',
  'top',
  'latency',
  'errors',
  'waf',
  'threats',
  'certificates',
  'changes',
  'capacity',
] as const;
export type ReportSection = (typeof REPORT_SECTIONS)[number];

export const SECTION_TITLES: Record<ReportSection, string> = {
  traffic: 'Traffic summary',
  top: 'Top hosts, routes, paths and status classes',
  latency: 'Latency per route',
  errors: 'Error rates per route',
  waf: 'WAF blocks',
  threats: 'Incidents and decisions',
  certificates: 'Certificates',
  changes: 'Configuration changes',
  capacity: 'Capacity planning',
};

export const REPORT_FORMATS = ['html', 'json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json',
  csv: 'text/csv; charset=utf-8',
};
