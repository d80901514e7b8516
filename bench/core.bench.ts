// `npm run bench`: speed and memory of the aggregation library on a deterministic 100,000-record user.
// Prints figures and ratios; targets are judged here, never by timed assertions in tests.
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { computeAggregations } from '../src/core/compute.js';
import { resolveContext } from '../src/core/context.js';
import { prepareDataset } from '../src/core/dataset.js';
import { DEFAULT_GRID } from '../src/core/filters.js';
import { normalizeRecords } from '../src/core/normalize.js';
import type { InputRecord } from '../src/core/record.js';
import { generateUser } from '../fixtures/generator.js';

const RECORDS = 100_000;
const CONTEXT = { asOf: '2025-06-30T20:00:00.000Z', timeZone: 'America/Chicago' };
/** The origin app's code on a 2-core machine like ours, 100,000 real records (issue #2). */
const ORIGIN_GRID_SECONDS = 33;
const ORIGIN_UNFILTERED_SECONDS = 2.6;
const ORIGIN_PEAK_MIB = 540;

function benchUser(): InputRecord[] {
  return generateUser({ userId: 'bench', records: RECORDS, seed: 'bench-v1', years: 6, channels: 600 });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(runs: number, work: () => unknown): number {
  work(); // warm-up: the JIT, the zone cache of a fresh context is rebuilt every run anyway
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    work();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function childMemory(file: string): Promise<void> {
  // Line by line, so the high-water mark reflects the records, not the file's text.
  const records: InputRecord[] = [];
  for await (const line of createInterface({ input: createReadStream(file) })) if (line) records.push(JSON.parse(line));
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.resourceUsage().maxRSS / 1024;
  const started = performance.now();
  const { results } = computeAggregations({ records, context: CONTEXT, filterSets: DEFAULT_GRID });
  const elapsed = performance.now() - started;
  const peak = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ results: results.length, elapsed, baseline, peak }));
}

function main(): void {
  const records = benchUser();
  const dated = records.filter((r) => r.watchedAt !== null).length;
  const ads = records.filter((r) => r.isAd).length;
  const music = records.filter((r) => r.product === 'YouTube Music').length;
  console.log(`bench user: ${records.length} records (${records.length - dated} undated, ${ads} ads, ${music} YouTube Music), 600 channels, 6 years; ${CONTEXT.timeZone}`);
  console.log(`node ${process.version}, ${process.arch}\n`);

  const normalizeMs = time(7, () => normalizeRecords(records, resolveContext(CONTEXT)));
  const prepareMs = time(7, () => prepareDataset(records, CONTEXT));
  const unfilteredMs = time(5, () => computeAggregations({ records, context: CONTEXT }));
  const gridMs = time(5, () => computeAggregations({ records, context: CONTEXT, filterSets: DEFAULT_GRID }));

  const dir = mkdtempSync(join(tmpdir(), 'agg-bench-'));
  let memory: { results: number; elapsed: number; baseline: number; peak: number };
  try {
    const file = join(dir, 'records.jsonl');
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const self = fileURLToPath(import.meta.url);
    memory = JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--child-memory', file], { encoding: 'utf8' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Every figure is in-process: the library called in this process (times), or in a child process that
  // loads the records and then computes the grid (its maxRSS); no CLI start-up, no reading of a file,
  // no writing of output (`npm run bench:compute` measures agg compute as a whole process).
  const origin = (figure: string): string => `origin ${figure}: reference, measured elsewhere, not by this bench`;
  const rows: [string, string][] = [
    ['in-process  normalization alone', `${normalizeMs.toFixed(1)} ms  (${Math.round(RECORDS / (normalizeMs / 1000)).toLocaleString('en-US')} records/s)`],
    ['in-process  normalize + sort + index', `${prepareMs.toFixed(1)} ms`],
    ['in-process  10 types, no filter', `${unfilteredMs.toFixed(1)} ms  (${((ORIGIN_UNFILTERED_SECONDS * 1000) / unfilteredMs).toFixed(0)}× faster; ${origin(`${ORIGIN_UNFILTERED_SECONDS} s`)})`],
    ['in-process  10 types × 18-set grid', `${gridMs.toFixed(1)} ms  (180 results, everything included)`],
    ['  ratio to normalization', `${(gridMs / normalizeMs).toFixed(2)}×  (target < 10×)`],
    ['  speed-up over origin', `${((ORIGIN_GRID_SECONDS * 1000) / gridMs).toFixed(0)}×  (target ≥ 25×; ${origin(`${ORIGIN_GRID_SECONDS} s`)})`],
    ['in-process  peak RSS, cold grid run', `${memory.peak.toFixed(0)} MiB  (a child process's maxRSS; records loaded: ${memory.baseline.toFixed(0)} MiB; target < 300 MiB; ${origin(`${ORIGIN_PEAK_MIB} MiB`)})`],
    ['  cold grid run time', `${memory.elapsed.toFixed(0)} ms for ${memory.results} results (in-process, in that child)`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);

  const verdicts = [
    gridMs / normalizeMs < 10,
    (ORIGIN_GRID_SECONDS * 1000) / gridMs >= 25,
    memory.peak < 300,
  ];
  console.log(`\ntargets met: ${verdicts.filter(Boolean).length}/3`);
}

const childIndex = process.argv.indexOf('--child-memory');
if (childIndex >= 0) await childMemory(process.argv[childIndex + 1]!);
else main();
