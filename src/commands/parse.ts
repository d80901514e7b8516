import { resolve } from 'node:path';
import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import type { InputRecord } from '../core/record.js';
import { UsageError } from '../cli/errors.js';
import { makeTable } from '../cli/format.js';
import { maxInputBytes } from '../cli/input-limit.js';
import type { CliIo } from '../cli/io.js';
import { parseTimeZone } from '../cli/options.js';
import { writeFileAtomically } from '../runtime/write-file-atomically.js';
import { parseInput } from '../input/load-records.js';
import { readFileBytes } from '../input/read-text.js';
import { SKIP_KINDS, SKIP_KIND_LABELS, type TakeoutReport } from '../takeout/index.js';
import { helpFooter } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { parseDocument } from '../cli/json-schemas/parse.js';

/** Options as commander infers them from the declarations below. */
type ParseOptions = ReturnType<ReturnType<typeof declareParse>['opts']>;

const FORMAT_NAMES = { 'takeout-json': 'Takeout JSON export', 'takeout-html': 'Takeout HTML export' } as const;

function* jsonLines(records: readonly InputRecord[]): Generator<string> {
  for (const record of records) yield `${JSON.stringify(record)}\n`;
}

const count = (n: number): string => n.toLocaleString('en-US');

function readableReport(file: string, report: TakeoutReport): string {
  const table = makeTable(['', 'count'], { colAligns: ['left', 'right'] });
  const reasons = Object.entries(report.undatedReasons).map(([reason, n]) => `${reason}: ${count(n)}`);
  table.push(
    ['entries read', count(report.entries)],
    ['watches (records)', count(report.watches)],
    ['  ads', count(report.ads)],
    ['  YouTube Music', count(report.youtubeMusic)],
    ['  removed videos', count(report.removedVideos)],
    ['  without a channel', count(report.withoutChannel)],
    ['  undated', count(report.undated)],
    ['duplicates merged', count(report.duplicatesMerged)],
    ['skipped (not watches)', count(report.skippedTotal)],
    ...SKIP_KINDS.map((kind) => [`  ${SKIP_KIND_LABELS[kind]}`, count(report.skipped[kind])]),
  );
  const lines = [
    `${file}: ${FORMAT_NAMES[report.format]}`,
    table.toString(),
    `first watch: ${report.firstWatchedAt ?? '-'}`,
    `last watch:  ${report.lastWatchedAt ?? '-'}`,
  ];
  if (report.sourceTimeZone !== null) {
    const resolved = report.resolvedWithSourceTimeZone;
    lines.push(`source time zone: ${report.sourceTimeZone} (${count(resolved)} timestamp${resolved === 1 ? '' : 's'} resolved through it)`);
  }
  if (reasons.length > 0) lines.push(`undated because: ${reasons.join('; ')}`);
  if (report.sourceTimeZone === null && Object.keys(report.undatedReasons).some((reason) => reason.includes('time zone'))) {
    lines.push('hint: pass --source-tz <IANA zone> (the zone the export was made in) to date those timestamps');
  }
  return `${lines.join('\n')}\n`;
}

export async function runParse(file: string, options: ParseOptions, io: CliIo, maxBytes?: number): Promise<number> {
  const sourceTimeZone = options.sourceTz === undefined ? undefined : parseTimeZone('--source-tz', options.sourceTz);
  const input = resolve(io.cwd, file);
  const out = options.out === undefined ? null : resolve(io.cwd, options.out);
  if (out === input) throw new UsageError('--out names the input file; choose another path so the export is kept');

  const loaded = parseInput(await readFileBytes(input, maxBytes), file, { takeoutOnly: true, ...(sourceTimeZone === undefined ? {} : { sourceTimeZone }) });
  const report = loaded.report!;
  if (out !== null) await writeFileAtomically(out, jsonLines(loaded.records));

  if (options.json) {
    const output = options.out === undefined ? null : { path: options.out, records: loaded.records.length };
    io.stdout.write(jsonLine(parseDocument, { schema: 'agg.parse/v1', file, format: report.format, report, output }));
  } else {
    io.stdout.write(readableReport(file, report));
    if (out !== null) io.stdout.write(`wrote ${count(loaded.records.length)} records to ${options.out}\n`);
  }
  return 0;
}

function declareParse(program: Command) {
  return program
    .command('parse')
    .description('read a Google Takeout watch-history export (JSON or HTML) and report what it holds')
    .argument('<file>', 'watch-history.json or watch-history.html (detected by content)')
    .option('--source-tz <zone>', 'IANA zone for HTML timestamps with no zone or an unknown abbreviation')
    .option('--json', 'print the report as one JSON document on stdout')
    .option('--out <file>', 'also write the records as JSON Lines (written whole, or not at all)');
}

export function registerParse(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = declareParse(program).action(async (file, options, command) => setExit(await runParse(file, options, io, maxInputBytes(command, io.env))));
  helpFooter(command, [
    ['agg parse watch-history.html', 'entries, watches, ads, skipped by kind'],
    ['agg parse watch-history.json --json', 'the same report as JSON'],
    ['agg parse watch-history.html --out records.jsonl', 'also write the records'],
    ['agg parse watch-history.html --source-tz Europe/Dublin', ''],
  ]);
}
