import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { withStore } from '../cli/context.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import type { CommandIo } from '../cli/io.js';
import { appendToStepSummary } from '../cli/step-summary.js';
import { paintFor } from '../cli/colour.js';
import { collectStatus } from '../status/collect.js';
import { renderStatusMarkdown, renderStatusPrometheus, renderStatusTable } from '../cli/status-render.js';
import { helpFooter, option } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { statusDocument } from '../cli/json-schemas/status.js';
import { readableCounts } from '../cli/run-counts.js';

/** Options as commander infers them from the declarations below. */
type StatusOptions = ReturnType<ReturnType<typeof declareStatus>['opts']>;

const FORMATS = ['table', 'json', 'markdown', 'prometheus'] as const;

export async function runStatus(command: CommandUnknownOpts, options: StatusOptions, io: CommandIo): Promise<number> {
  if (options.format !== undefined && !(FORMATS as readonly string[]).includes(options.format)) {
    throw new UsageError(`--format "${options.format}" is not valid (expected one of: ${FORMATS.join(', ')})`);
  }
  if (options.json && options.format !== undefined && options.format !== 'json') throw new UsageError(`--json conflicts with --format ${options.format}`);
  const format = options.json ? 'json' : (options.format ?? 'table');
  return withStore(command, io, async ({ store, config }) => {
    const report = await collectStatus(store, config.status, io.now());
    const rendered =
      format === 'json'
        ? jsonLine(statusDocument, { schema: 'agg.status/v1', ...report, runs: { ...report.runs, last: report.runs.last.map((run) => ({ ...run, counts: readableCounts(run) })) }, ok: report.alerts.length === 0 })
        : format === 'markdown'
          ? renderStatusMarkdown(report)
          : format === 'prometheus'
            ? renderStatusPrometheus(report)
            : renderStatusTable(report, paintFor(io, io.stdout));
    io.stdout.write(rendered);
    if (format === 'markdown') await appendToStepSummary(io, rendered);
    if (report.alerts.length > 0 && format !== 'table') {
      for (const alert of report.alerts) io.stderr.write(`agg: status alert ${alert.name}: ${alert.message}\n`);
    }
    return report.alerts.length > 0 ? ExitCode.findings : ExitCode.ok;
  }, { mustExist: true });
}

function declareStatus(program: Command) {
  return program
    .command('status')
    .description('the health of the store at a glance: freshness, backlog, rollout, runs, consistency, archives; exit 1 on a crossed threshold')
    .option('--json', 'same as --format json')
    .addOption(option('--format <format>', 'table, json, markdown (CI job summary: also appended to $GITHUB_STEP_SUMMARY) or prometheus (textfile collector)', { shown: 'table', words: FORMATS }));
}

export function registerStatus(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareStatus(program).action(async (options, command) => setExit(await runStatus(command, options, io)));
  helpFooter(
    command,
    [
      ['agg status', 'one screen: the health of the store'],
      ['agg status --format markdown', 'for a CI job summary'],
      ['agg status --format prometheus > /var/lib/node_exporter/textfile/agg.prom', ''],
      ['agg status --json', ''],
    ],
    ['Thresholds are status.* in agg.config.json. Exit codes: 0 healthy, 1 a threshold is crossed, 2 bad usage, 3 the store failed.'],
  );
}
