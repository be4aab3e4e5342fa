import { resolve } from 'node:path';
import { gatherReport } from './gather';
import { renderReportHtml } from './html';
import { formatReportJson, reportText } from './text';
import type { ReportDeps } from './types';

/**
 * `report [--html FILE] [--json]`: gathers the report once; with `--html` writes the HTML file (to its
 * absolute path) and, unless `--json`, prints a summary ending with that path; with `--json` prints the
 * data as JSON (only the JSON, so that it can be piped); with neither, prints the summary and how to get
 * the HTML.
 */
export const runReport = async (
  deps: ReportDeps,
  request: { html: string | undefined; json: boolean },
  out: (line: string) => void,
  writeFile: (path: string, content: string) => void,
): Promise<void> => {
  const data = await gatherReport(deps);
  let written: string | undefined;
  if (request.html !== undefined) {
    written = resolve(request.html);
    writeFile(written, await renderReportHtml(data));
  }
  const text = request.json ? formatReportJson(data) : reportText(data, written);
  for (const line of text.split('\n')) out(line);
};
