import type { Command } from 'commander';
import { computeAggregations } from '../core/compute.js';
import { DEFAULT_FILTERS, DEFAULT_GRID, type Filters, canonicalFilters } from '../core/filters.js';
import { canonicalJson } from '../core/json.js';
import { newestWatchedAt } from '../core/newest-watch.js';
import { UsageError } from '../cli/errors.js';
import { maxInputBytes } from '../cli/input-limit.js';
import type { CliIo } from '../cli/io.js';
import { collect, parseInstant, parseProduct, parseTimeZone, parseTimeframe, parseTypes } from '../cli/options.js';
import { describeFilters, formatBytes, makeTable } from '../cli/format.js';
import { summarizeResult } from '../cli/summaries.js';
import { loadRecordsFile } from '../input/load-records.js';

interface ComputeOptions {
  type: string[];
  timeframe?: string;
  product?: string;
  topic: string[];
  channel: string[];
  grid?: boolean;
  asOf?: string;
  tz: string;
  sourceTz?: string;
  json?: boolean;
}

function filterSets(options: ComputeOptions): Filters[] {
  const narrowed = options.timeframe !== undefined || options.product !== undefined || options.topic.length > 0 || options.channel.length > 0;
  if (options.grid) {
    if (narrowed) throw new UsageError('--grid computes the 18 default filter sets; it cannot be combined with --timeframe, --product, --topic or --channel');
    return [...DEFAULT_GRID];
  }
  if (!narrowed) return [DEFAULT_FILTERS];
  return [
    canonicalFilters({
      timeframe: options.timeframe === undefined ? 'All' : parseTimeframe(options.timeframe),
      product: options.product === undefined ? 'All' : parseProduct(options.product),
      topics: options.topic,
      channels: options.channel,
    }),
  ];
}

export async function runCompute(file: string, options: ComputeOptions, io: CliIo, maxBytes?: number): Promise<number> {
  const types = parseTypes(options.type);
  const sets = filterSets(options);
  const timeZone = parseTimeZone('--tz', options.tz);
  const explicitAsOf = options.asOf === undefined ? null : parseInstant('--as-of', options.asOf);
  const sourceTimeZone = options.sourceTz === undefined ? undefined : parseTimeZone('--source-tz', options.sourceTz);
  const { records, report } = await loadRecordsFile(file, { ...(maxBytes === undefined ? {} : { maxBytes }), ...(sourceTimeZone === undefined ? {} : { sourceTimeZone }) });
  const asOf = explicitAsOf ?? newestWatchedAt(records);
  if (asOf === null) throw new UsageError(`${file}: no watch (other than ads) has a watchedAt, so --as-of has no default; pass --as-of ISO`);

  const { summary, results } = computeAggregations({ records, context: { asOf, timeZone }, types, filterSets: sets });

  if (options.json) {
    // Envelope keys in the documented order; `data` is the result's canonical JSON text, as stored.
    const entries = results.map(
      (r) =>
        `{"type":${JSON.stringify(r.type)},"version":${r.version},"filters":${canonicalJson(r.filters)},"filterHash":${JSON.stringify(r.filterHash)},"data":${r.json}}`,
    );
    io.stdout.write(`{"asOf":${JSON.stringify(summary.asOf)},"timeZone":${JSON.stringify(summary.timeZone)},"results":[${entries.join(',')}]}\n`);
    return 0;
  }

  if (report !== undefined) {
    io.stdout.write(
      `${file}: ${report.format === 'takeout-json' ? 'Takeout JSON' : 'Takeout HTML'} export, ${report.entries} entries: ` +
        `${report.watches} watches kept, ${report.duplicatesMerged} duplicates merged, ${report.skippedTotal} other activities skipped (agg parse shows the details)\n`,
    );
  }
  io.stdout.write(
    `${file}: ${summary.records} records (${summary.undated} undated), ${summary.ads} ads left out, ${summary.channels} channels\n` +
      `as of ${summary.asOf} in ${summary.timeZone}\n`,
  );
  const table = makeTable(['type', 'filters', 'result', 'size'], { colAligns: ['left', 'left', 'left', 'right'] });
  for (const result of results) {
    table.push([`${result.type} v${result.version}`, describeFilters(result.filters), summarizeResult(result.type, result.data), formatBytes(result.shape.bytes)]);
  }
  io.stdout.write(`${table.toString()}\n`);
  return 0;
}

export function registerCompute(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('compute')
    .description('compute aggregations from a records file or a Takeout export, with no store (prints a summary, or JSON)')
    .argument('<file>', 'records file (JSON array or JSON Lines of input records) or Takeout watch-history.json/.html')
    .option('--type <type>', 'aggregation type; repeatable (default: all ten)', collect, [])
    .option('--timeframe <timeframe>', 'MTD, QTD, YTD, Last6M, Last12M or All (default All)')
    .option('--product <product>', 'YouTube, "YouTube Music" or All (default All)')
    .option('--topic <topic>', 'keep records with this topic; repeatable', collect, [])
    .option('--channel <channel>', 'keep records of this channel; repeatable', collect, [])
    .option('--grid', 'compute the default grid: 6 timeframes × 3 products')
    .option('--as-of <iso>', 'the instant to compute at (default: the newest watchedAt in the file, ads aside)')
    .option('--tz <zone>', 'IANA time zone for calendar fields', 'UTC')
    .option('--source-tz <zone>', 'Takeout HTML: IANA zone for timestamps with no zone or an unknown abbreviation')
    .option('--json', 'print exactly one JSON document on stdout')
    .action(async (file: string, options: ComputeOptions, command: Command) => setExit(await runCompute(file, options, io, maxInputBytes(command, io.env))));
}
