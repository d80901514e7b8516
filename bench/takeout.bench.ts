// `npm run bench:takeout`: speed and memory of the Takeout parsers on deterministic synthetic exports.
// Prints entries/s, the time for a 10,000-entry export, and peak RSS against file size for ~100 MB
// exports (in a fresh process each, through the same path the CLI takes). Targets are judged here,
// never by timed assertions in tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRecordsFile } from '../src/input/load-records.js';
import { parseTakeout } from '../src/takeout/index.js';
import { generateUser } from '../fixtures/generator.js';
import { type TakeoutWriteOptions, writeTakeout } from '../fixtures/takeout-writer.js';

const SMALL_ENTRIES = 10_000;
const LARGE_BYTES = 100 * 1024 * 1024;
/** "Well under a second" for 10,000 entries; "a small multiple" of the file size for peak RSS. */
const SMALL_TARGET_MS = 500;
const MEMORY_TARGET_RATIO = 4;

const FORMATS: ReadonlyArray<[string, TakeoutWriteOptions]> = [
  ['JSON (en)', { format: 'takeout-json', seed: 'bench-v1' }],
  ['HTML (US layout)', { format: 'takeout-html', seed: 'bench-v1', dateLayout: 'month-first' }],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** An export of about `entries` entries (extras and duplicates add a few per cent). */
function exportOf(options: TakeoutWriteOptions, entries: number): { text: string; entries: number } {
  const records = generateUser({ userId: 'bench', records: Math.round(entries / 1.035), seed: 'bench-takeout-v1', years: 6, channels: 400 });
  return writeTakeout(records, options);
}

/** An export of at least `bytes` characters, grown from a first estimate of the size per entry. */
function exportOfSize(options: TakeoutWriteOptions, bytes: number): { text: string; entries: number } {
  const probe = exportOf(options, 2000);
  const perEntry = Buffer.byteLength(probe.text) / probe.entries;
  return exportOf(options, Math.ceil((bytes / perEntry) * 1.01));
}

/** Parses the export's UTF-8 bytes, as the CLI does: cold once, then the median of `runs`. */
function timeParses(text: string, runs: number): { coldMs: number; medianMs: number; cpuMs: number } {
  const bytes = new TextEncoder().encode(text);
  const cold = performance.now();
  parseTakeout(bytes);
  const coldMs = performance.now() - cold;
  const samples: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    parseTakeout(bytes);
    const used = process.cpuUsage(cpuStarted);
    samples.push(performance.now() - started);
    cpu.push((used.user + used.system) / 1000);
  }
  return { coldMs, medianMs: median(samples), cpuMs: median(cpu) };
}

/** In a fresh process: read and parse one file the way `agg parse` does, and report peak RSS. */
async function childMemory(file: string): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.resourceUsage().maxRSS * 1024;
  const started = performance.now();
  const loaded = await loadRecordsFile(file);
  const elapsed = performance.now() - started;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ records: loaded.records.length, entries: loaded.report?.entries, elapsed, baseline, peak }));
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const rate = (entries: number, ms: number): string => `${Math.round(entries / (ms / 1000)).toLocaleString('en-US')} entries/s`;

function main(): void {
  console.log(`node ${process.version}, ${process.arch}\n`);
  const verdicts: boolean[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'agg-bench-takeout-'));
  try {
    for (const [name, options] of FORMATS) {
      const small = exportOf(options, SMALL_ENTRIES);
      const timing = timeParses(small.text, 7);
      console.log(`${name}, ${small.entries.toLocaleString('en-US')} entries (${mib(Buffer.byteLength(small.text))}):`);
      console.log(`  parse, median of 7     ${timing.medianMs.toFixed(1)} ms wall, ${timing.cpuMs.toFixed(1)} ms CPU  (${rate(small.entries, timing.medianMs)}; target < ${SMALL_TARGET_MS} ms)`);
      console.log(`  first (cold) parse     ${timing.coldMs.toFixed(1)} ms`);
      verdicts.push(timing.medianMs < SMALL_TARGET_MS);

      const large = exportOfSize(options, LARGE_BYTES);
      const file = join(dir, options.format === 'takeout-json' ? 'watch-history.json' : 'watch-history.html');
      writeFileSync(file, large.text);
      const size = statSync(file).size;
      const self = fileURLToPath(import.meta.url);
      const memory = JSON.parse(execFileSync(process.execPath, ['--expose-gc', self, '--child-memory', file], { encoding: 'utf8', maxBuffer: 1 << 20 })) as {
        records: number; entries: number; elapsed: number; baseline: number; peak: number;
      };
      const ratio = memory.peak / size;
      console.log(`${name}, ${large.entries.toLocaleString('en-US')} entries (${mib(size)} file), fresh process:`);
      console.log(`  read + parse           ${(memory.elapsed / 1000).toFixed(1)} s  (${rate(memory.entries, memory.elapsed)}), ${memory.records.toLocaleString('en-US')} records`);
      console.log(`  peak RSS               ${mib(memory.peak)} = ${ratio.toFixed(2)}× the file  (node alone ${mib(memory.baseline)}; target < ${MEMORY_TARGET_RATIO}×)`);
      console.log(`  growth over node       ${((memory.peak - memory.baseline) / size).toFixed(2)}× the file\n`);
      verdicts.push(ratio < MEMORY_TARGET_RATIO);
      rmSync(file);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`targets met: ${verdicts.filter(Boolean).length}/${verdicts.length}`);
}

const childIndex = process.argv.indexOf('--child-memory');
if (childIndex >= 0) await childMemory(process.argv[childIndex + 1]!);
else main();
