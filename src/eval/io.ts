import { join } from 'node:path';
import { writeFileAtomic } from '../util/fs.js';

export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
}

export interface ReportContents {
  /** Serialised as indented JSON. */
  json: unknown;
  markdown: string;
  html: string;
}

/**
 * Writes `<baseName>.json`, `.md` and `.html` into `dir` (created if missing), each through a temporary
 * file and a rename, so an interrupted run never leaves a truncated report. Returns the paths.
 */
export async function writeReportFiles(dir: string, baseName: string, contents: ReportContents): Promise<ReportFiles> {
  const files: ReportFiles = {
    json: join(dir, `${baseName}.json`),
    markdown: join(dir, `${baseName}.md`),
    html: join(dir, `${baseName}.html`),
  };
  await Promise.all([
    writeFileAtomic(files.json, `${JSON.stringify(contents.json, null, 2)}\n`),
    writeFileAtomic(files.markdown, contents.markdown),
    writeFileAtomic(files.html, contents.html),
  ]);
  return files;
}
