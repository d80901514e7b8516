import { appendFile } from 'node:fs/promises';
import type { CommandIo } from './io.js';

/**
 * A Markdown report also goes to the GitHub Actions job summary when the job has one
 * ($GITHUB_STEP_SUMMARY): appended, as every step's summary is. A failure to append is said on
 * stderr and changes nothing else (the report is on stdout either way).
 */
export async function appendToStepSummary(io: CommandIo, markdown: string): Promise<void> {
  const file = io.env.GITHUB_STEP_SUMMARY;
  if (!file) return;
  await appendFile(file, markdown).catch((error: unknown) => io.stderr.write(`agg: could not append to GITHUB_STEP_SUMMARY (${(error as Error).message})\n`));
}
