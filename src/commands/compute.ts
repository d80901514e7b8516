import { resolve } from 'node:path';
import { type Command, Option } from '@commander-js/extra-typings';
import type { AggregationType } from '../core/aggregations/definition.js';
import { type AggregationResult, iterateAggregations, summarizeDataset } from '../core/compute.js';
import { collectingBetweenFilterSets } from '../runtime/heap.js';
import { type Dataset, DatasetBuilder } from '../core/dataset.js';
import { DEFAULT_FILTERS, DEFAULT_GRID, type Filters, canonicalFilters } from '../core/filters.js';
import { canonicalJson } from '../core/json.js';
import { UsageError } from '../cli/errors.js';
import { maxInputBytes } from '../cli/input-limit.js';
import { interruptedExitCode } from '../cli/interruption.js';
import type { CliIo } from '../cli/io.js';
import { streamChunks } from '../cli/json-stream-writer.js';
import { collect, parseInstant, parseProduct, parseTimeZone, parseTimeframe, parseTypes } from '../cli/options.js';
import { describeFilters, formatBytes } from '../cli/format.js';
import { plainTable, truncate } from '../cli/plain-table.js';
import { summarizeResult } from '../cli/summaries.js';
import { writeFileAtomically } from '../runtime/write-file-atomically.js';
import { streamRecordsFile } from '../input/load-records.js';
import type { TakeoutReport } from '../takeout/index.js';

/** Options as commander infers them from the declarations in declareCompute. */
type ComputeOptions = ReturnType<ReturnType<typeof declareCompute>['opts']>;

type OutputFormat = 'json' | 'jsonl';

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

/**
 * One result as it appears in the JSON document and, alone, as one JSON Lines line: the envelope's keys
 * in the documented order; `data` is the result's canonical JSON text, as stored. The envelope's head
 * and `data` are separate pieces, so the (possibly large) data text is written as it is, never copied.
 */
function envelopeHead(r: AggregationResult): string {
  return `{"type":${JSON.stringify(r.type)},"version":${r.version},"filters":${canonicalJson(r.filters)},"filterHash":${JSON.stringify(r.filterHash)},"data":`;
}

/** Thrown from inside the output loop when a signal arrives; the command turns it into its exit code. */
class Stopped extends Error {}

/**
 * The output, piece by piece, each result computed only when its piece is asked for: the JSON document
 * (header, one result per piece, closing) or JSON Lines (one line per result). Nothing keeps a result
 * after its piece is written.
 */
function* outputChunks(
  dataset: Dataset,
  types: readonly AggregationType[],
  sets: readonly Filters[],
  format: OutputFormat,
  counts: { results: number },
  signal?: AbortSignal,
): Generator<string> {
  const summary = summarizeDataset(dataset);
  // The document's shape is agg.compute/v1 (src/cli/json-schemas/compute.ts); its id comes first.
  if (format === 'json') yield `{"schema":"agg.compute/v1","asOf":${JSON.stringify(summary.asOf)},"timeZone":${JSON.stringify(summary.timeZone)},"results":[`;
  let first = true;
  for (const result of collectingBetweenFilterSets(iterateAggregations(dataset, types, sets), dataset.recordCount)) {
    if (signal?.aborted) throw new Stopped();
    yield format === 'json' && !first ? `,${envelopeHead(result)}` : envelopeHead(result);
    yield result.json;
    yield format === 'jsonl' ? '}\n' : '}';
    first = false;
    counts.results++;
  }
  if (format === 'json') yield ']}\n';
}

/** The chunks, remembering an error they throw (for the caller to tell it from a write error). */
function* remembering(chunks: Iterable<string>, failure: { error?: unknown }): Generator<string> {
  try {
    yield* chunks;
  } catch (error) {
    failure.error = error;
    throw error;
  }
}

interface Loaded {
  readonly dataset: Dataset;
  readonly report: TakeoutReport | undefined;
}

/**
 * Reads the input and prepares the dataset, batch by batch: the input records are garbage once their
 * normalized form is in the dataset, and the computation runs without them.
 */
async function loadDataset(file: string, options: ComputeOptions, timeZone: string, maxBytes: number | undefined): Promise<Loaded> {
  const explicitAsOf = options.asOf === undefined ? null : parseInstant('--as-of', options.asOf);
  const sourceTimeZone = options.sourceTz === undefined ? undefined : parseTimeZone('--source-tz', options.sourceTz);
  // Each batch is normalized as it is parsed: the input records die young, and memory never holds them all.
  const builder = new DatasetBuilder(timeZone);
  const { report } = await streamRecordsFile(file, { ...(maxBytes === undefined ? {} : { maxBytes }), ...(sourceTimeZone === undefined ? {} : { sourceTimeZone }) }, (batch) => builder.add(batch), { sinkNormalizes: true });
  const asOf = explicitAsOf ?? builder.newestWatchedAt();
  if (asOf === null) throw new UsageError(`${file}: no watch (other than ads) has a watchedAt, so --as-of has no default; pass --as-of ISO`);
  return { dataset: builder.build(asOf), report };
}

export async function runCompute(file: string, options: ComputeOptions, io: CliIo, maxBytes?: number): Promise<number> {
  const types = parseTypes(options.type);
  const sets = filterSets(options);
  const timeZone = parseTimeZone('--tz', options.tz);
  const out = options.out === undefined ? null : resolve(io.cwd, options.out);
  if (out !== null && out === resolve(io.cwd, file)) throw new UsageError('--out names the input file; choose another path so the input is kept');
  const format: OutputFormat | null = options.jsonl ? 'jsonl' : options.json || out !== null ? 'json' : null;

  const { dataset, report } = await loadDataset(file, options, timeZone, maxBytes);

  if (format !== null) {
    const counts = { results: 0 };
    const chunks = outputChunks(dataset, types, sets, format, counts, io.signal);
    try {
      if (out === null) {
        // A reader that stops early (`| head`) ends the run quietly; what it did not read is not computed.
        await streamChunks(io.stdout, chunks);
        return 0;
      }
      const failure: { error?: unknown } = {};
      try {
        await writeFileAtomically(out, remembering(chunks, failure));
      } catch (error) {
        // The temporary file is gone; a failure of the computation is reported as itself, not as a write error.
        throw failure.error ?? error;
      }
      const n = counts.results;
      io.stdout.write(`wrote ${n} result${n === 1 ? '' : 's'} to ${options.out} (${format === 'json' ? 'one JSON document' : 'JSON Lines'})\n`);
      return 0;
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
      io.stderr.write(out === null ? 'agg: interrupted; the output on stdout is incomplete\n' : `agg: interrupted; nothing was written to ${options.out}\n`);
      return interruptedExitCode(io.signal);
    }
  }

  const summary = summarizeDataset(dataset);
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
  // 80 columns: a line per result (type, filters, size), its summary indented under it; each result
  // dropped once its lines are made. --json has the data.
  const rows: string[][] = [];
  const summaries: string[] = [];
  for (const result of collectingBetweenFilterSets(iterateAggregations(dataset, types, sets), dataset.recordCount)) {
    rows.push([`${result.type} v${result.version}`, truncate(describeFilters(result.filters), 40), formatBytes(result.shape.bytes)]);
    summaries.push(`  ${truncate(summarizeResult(result.type, result.data), 78)}`);
  }
  const lines = plainTable([{ head: 'type' }, { head: 'filters' }, { head: 'size', align: 'right' }], rows).split('\n');
  io.stdout.write(`${[lines[0]!, ...rows.flatMap((_, i) => [lines[i + 1]!, summaries[i]!])].join('\n')}\n`);
  return 0;
}

function declareCompute(program: Command) {
  return program
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
    .option('--json', 'print exactly one JSON document on stdout, written result by result as computed')
    .addOption(new Option('--jsonl', 'print JSON Lines instead: one result per line, the same envelope as in the JSON document').conflicts('json'))
    .option('--out <file>', 'write the output (JSON, or JSON Lines with --jsonl) to this file instead: whole, or not at all');
}

export function registerCompute(program: Command, io: CliIo, setExit: (code: number) => void): void {
  declareCompute(program).action(async (file, options, command) => setExit(await runCompute(file, options, io, maxInputBytes(command, io.env))));
}
