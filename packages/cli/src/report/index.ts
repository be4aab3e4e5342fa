export { cents, gatherReport, REPORT_SWEEPS, UNTAGGED } from './gather';
export { escapeHtml, formatGiB, formatUsd, renderLineageSvg, renderReportHtml } from './html';
export { runReport } from './run';
export { formatReportJson, reportText } from './text';
export type {
  ReportData,
  ReportDecision,
  ReportDeps,
  ReportFamily,
  ReportImage,
  ReportPlan,
  ReportStorage,
  ReportStorageRow,
  ReportSweepRow,
  ReportSweeps,
} from './types';
