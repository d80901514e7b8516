// `npm run bench:compute`: what `agg compute` costs as a whole process on a deterministic
// 100,000-record user, against the cheapest thing that reads the same file: JSON.parse in a fresh node
// process; and the peak memory of `agg backfill` of that user on the embedded store. Every figure is whole-process (node's start, module loading, reading, parsing, computing,
// writing), wall time and peak RSS, measured by /usr/bin/time -v when it is there, else by
// process.resourceUsage() in a wrapper around the same script. Targets are judged here, never by
// timed assertions in tests.
//
// AGG_BENCH_TRIALS (default 3): runs of each command, interleaved; the median is printed.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RECORDS = 100_000;
/** Issue 16's targets, whole-process, on a 100,000-record user. */
const TARGET_RATIO = 3;
const TARGET_PEAK_MIB = 200;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AGG = join(ROOT, 'bin/agg.js');
const SELF = fileURLToPath(import.meta.url);

interface Figures {
  /** Wall time of the process, seconds, from spawn to exit as seen by this bench. */
  readonly wall: number;
  /** Peak resident set size of the process, MiB. */
  readonly peakMiB: number;
}

type Meter = 'time' | 'wrapper';

/** /usr/bin/time -v when it runs and reports the peak RSS; otherwise the wrapper. */
function chooseMeter(): Meter {
  if (process.env.AGG_BENCH_METER === 'wrapper') return 'wrapper';
  const probe = spawnSync('/usr/bin/time', ['-v', process.execPath, '-e', '0'], { encoding: 'utf8' });
  return probe.status === 0 && /Maximum resident set size/.test(probe.stderr) ? 'time' : 'wrapper';
}

/**
 * Runs `node script ...args` once, stdout to `/dev/null` or to a reader of ours that takes `readerDelayMs`
 * for each piece it reads (a slow pipe). Resolves with the process's wall time and peak RSS.
 */
function run(meter: Meter, script: string, args: readonly string[], readerDelayMs?: number): Promise<Figures> {
  const node = [script, ...args];
  const command = meter === 'time' ? ['/usr/bin/time', ['-v', process.execPath, ...node]] as const : [process.execPath, [SELF, '--rusage-child', ...node]] as const;
  const devNull = readerDelayMs === undefined ? openSync('/dev/null', 'w') : null;
  const started = performance.now();
  const child = spawn(command[0], [...command[1]], { stdio: ['ignore', devNull ?? 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let report = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk: Buffer) => (report += chunk.toString()));
  if (readerDelayMs !== undefined) {
    const out = child.stdout!;
    out.on('data', () => {
      out.pause();
      setTimeout(() => out.resume(), readerDelayMs);
    });
  }
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const wall = (performance.now() - started) / 1000;
      if (devNull !== null) closeSync(devNull);
      if (code !== 0) return reject(new Error(`${node.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      if (meter === 'time') {
        const kib = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
        if (!kib) return reject(new Error(`no peak RSS in /usr/bin/time's report: ${stderr.slice(-200)}`));
        return resolve({ wall, peakMiB: Number(kib[1]) / 1024 });
      }
      resolve({ wall, peakMiB: (JSON.parse(report) as { maxRSS: number }).maxRSS / 1024 });
    });
  });
}

/** The wrapper: runs a script in this process, and at exit reports process.resourceUsage().maxRSS on fd 3. */
async function rusageChild(script: string, args: string[]): Promise<void> {
  process.on('exit', () => writeSync(3, JSON.stringify({ maxRSS: process.resourceUsage().maxRSS })));
  process.argv = [process.execPath, script, ...args];
  await import(pathToFileURL(script).href);
}

/** The baseline: a fresh node process that reads the file and JSON.parses it (a JSON Lines file line by line). */
const BASELINE = `import { readFileSync } from 'node:fs';
const file = process.argv[2];
const text = readFileSync(file, 'utf8');
const value = file.endsWith('.jsonl') ? text.split('\\n').filter((line) => line !== '').map((line) => JSON.parse(line)) : JSON.parse(text);
if (!Array.isArray(value) || value.length === 0) process.exit(1);
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

interface Case {
  readonly label: string;
  readonly script: string;
  readonly args: readonly string[];
  readonly readerDelayMs?: number;
  /** The label of the baseline this case is compared with, if any. */
  readonly baseline?: string;
  /** Judged against the targets (the wall-time ratio only when there is a baseline). */
  readonly judged?: boolean;
}

async function main(): Promise<void> {
  const trials = Math.max(1, Number(process.env.AGG_BENCH_TRIALS ?? 3) || 3);
  const { generateUser } = await import('../fixtures/generator.js');
  const records = generateUser({ userId: 'bench', records: RECORDS, seed: 'bench-v1', years: 6, channels: 600 });
  const dir = mkdtempSync(join(tmpdir(), 'agg-compute-bench-'));
  try {
    const jsonl = join(dir, 'records.jsonl');
    const json = join(dir, 'records.json');
    const baseline = join(dir, 'baseline.mjs');
    writeFileSync(jsonl, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    writeFileSync(json, JSON.stringify(records));
    writeFileSync(baseline, BASELINE);
    const meter = chooseMeter();
    // Not timed: the user in an embedded store of its own, for the backfill case.
    const store = join(dir, 'store');
    const imported = spawnSync(process.execPath, [AGG, '--local', store, '--quiet', 'import', jsonl, '--user', 'bench'], { encoding: 'utf8' });
    if (imported.status !== 0) throw new Error(`agg import failed: ${imported.stderr}`);

    // Not timed: the outputs are what they should be (180 results; the lines are the document's results).
    const document = spawnSync(process.execPath, [AGG, 'compute', jsonl, '--grid', '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    const lines = spawnSync(process.execPath, [AGG, 'compute', jsonl, '--grid', '--jsonl'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (document.status !== 0 || lines.status !== 0) throw new Error(`agg compute failed: ${document.stderr}${lines.stderr}`);
    const results = (JSON.parse(document.stdout) as { results: unknown[] }).results.length;
    const texts = lines.stdout.trimEnd().split('\n');
    if (results !== 180 || texts.length !== 180 || !document.stdout.includes(`"results":[${texts.join(',')}]}`)) throw new Error('agg compute --json and --jsonl disagree');

    const dated = records.filter((r) => r.watchedAt !== null).length;
    const ads = records.filter((r) => r.isAd).length;
    console.log(`bench user: ${records.length.toLocaleString('en-US')} records (${records.length - dated} undated, ${ads} ads), 600 channels, 6 years`);
    console.log(`files: records.jsonl ${mib(statSync(jsonl).size)}, records.json ${mib(statSync(json).size)}; output: ${results} results, ${mib(Buffer.byteLength(document.stdout))} of JSON`);
    console.log(`node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)} at the start`);
    console.log(`every figure below is whole-process (a fresh node process from start to exit), median of ${trials} run${trials === 1 ? '' : 's'}; peak RSS from ${meter === 'time' ? '/usr/bin/time -v' : 'process.resourceUsage() in a wrapper'}\n`);

    const cases: Case[] = [
      { label: 'node: JSON.parse of records.json (one array)', script: baseline, args: [json] },
      { label: 'node: JSON.parse of records.jsonl (line by line)', script: baseline, args: [jsonl] },
      { label: 'agg --help (start-up alone)', script: AGG, args: ['--help'] },
      { label: 'agg compute records.jsonl --grid --json > /dev/null', script: AGG, args: ['compute', jsonl, '--grid', '--json'], baseline: 'node: JSON.parse of records.jsonl (line by line)', judged: true },
      { label: 'agg compute records.jsonl --grid --jsonl > /dev/null', script: AGG, args: ['compute', jsonl, '--grid', '--jsonl'], baseline: 'node: JSON.parse of records.jsonl (line by line)', judged: true },
      { label: 'agg compute records.json --grid --json > /dev/null', script: AGG, args: ['compute', json, '--grid', '--json'], baseline: 'node: JSON.parse of records.json (one array)', judged: true },
      { label: 'agg compute records.jsonl --grid --json | slow reader', script: AGG, args: ['compute', jsonl, '--grid', '--json'], readerDelayMs: 2 },
      // --force: every trial computes and writes all 180 results, as the first backfill of the user does.
      { label: 'agg backfill --user bench --force (embedded store)', script: AGG, args: ['--local', store, '--quiet', 'backfill', '--user', 'bench', '--force'], judged: true },
    ];
    const samples = new Map<string, Figures[]>(cases.map((c) => [c.label, []]));
    for (let trial = 0; trial < trials; trial++) {
      for (const c of cases) samples.get(c.label)!.push(await run(meter, c.script, c.args, c.readerDelayMs));
    }
    const figures = new Map([...samples].map(([label, runs]) => [label, { wall: median(runs.map((r) => r.wall)), peakMiB: median(runs.map((r) => r.peakMiB)) }]));

    const width = Math.max(...cases.map((c) => c.label.length));
    let met = 0;
    let judged = 0;
    for (const c of cases) {
      const f = figures.get(c.label)!;
      let line = `whole-process  ${c.label.padEnd(width)}  wall ${f.wall.toFixed(2).padStart(5)} s  peak RSS ${f.peakMiB.toFixed(0).padStart(4)} MiB`;
      if (c.baseline !== undefined) {
        const ratio = f.wall / figures.get(c.baseline)!.wall;
        line += `  = ${ratio.toFixed(1)}× the JSON.parse wall time of the same file (target ≤ ${TARGET_RATIO}×); RSS target ≤ ${TARGET_PEAK_MIB} MiB`;
        if (c.judged) {
          judged += 2;
          met += Number(ratio <= TARGET_RATIO) + Number(f.peakMiB <= TARGET_PEAK_MIB);
        }
      } else if (c.judged) {
        line += `  (RSS target ≤ ${TARGET_PEAK_MIB} MiB)`;
        judged += 1;
        met += Number(f.peakMiB <= TARGET_PEAK_MIB);
      }
      if (c.readerDelayMs !== undefined) line += `  (the reader waits ${c.readerDelayMs} ms after each piece; RSS as with /dev/null = backpressure works)`;
      console.log(line);
    }
    console.log('\nreference, measured elsewhere, not by this bench: the origin app\'s own code, 180 results (the grid) on 100,000 records: 67–69 s, 402–587 MiB peak');
    console.log('reference, measured elsewhere, not by this bench (issue 16): agg compute --grid --json before streaming, ~7× JSON.parse, ~613 MiB peak');
    console.log('reference, measured elsewhere, not by this bench (issue 16): agg backfill --user of that user before page-by-page preparation, 296 MiB peak');
    console.log(`\ntargets met: ${met}/${judged} (wall ≤ ${TARGET_RATIO}× JSON.parse and peak RSS ≤ ${TARGET_PEAK_MIB} MiB for each compute run; peak RSS ≤ ${TARGET_PEAK_MIB} MiB for the backfill)`);

    const steps = JSON.parse(spawnSync(process.execPath, ['--expose-gc', SELF, '--breakdown', jsonl], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout) as Step[];
    console.log('\nwhere the memory goes, in-process (one child process with --expose-gc, records.jsonl, the grid; live heap after a full gc at each step):');
    const stepWidth = Math.max(...steps.map((s) => s.step.length));
    for (const s of steps) {
      console.log(`in-process  ${s.step.padEnd(stepWidth)}  live heap ${s.heap.toFixed(1).padStart(5)} MiB  file buffer ${s.buffers.toFixed(1).padStart(4)} MiB  RSS ${s.rss.toFixed(0).padStart(4)} MiB`);
    }
    console.log('(a run\'s peak RSS above these live figures is garbage V8 has not collected yet, and the heap space it keeps for the next allocations)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Step {
  readonly step: string;
  /** Live heap after a full gc, MiB. */
  readonly heap: number;
  /** Array buffers (the file's bytes), MiB. */
  readonly buffers: number;
  readonly rss: number;
}

/**
 * Where the memory goes, step by step through the functions the CLI calls, in one process run with
 * --expose-gc: the live heap after a full gc at each step (what must be held), beside the RSS.
 */
async function breakdown(file: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('--breakdown needs node --expose-gc');
  const steps: Step[] = [];
  const note = (step: string): number => {
    gc();
    gc();
    const m = process.memoryUsage();
    steps.push({ step, heap: m.heapUsed / 2 ** 20, buffers: m.arrayBuffers / 2 ** 20, rss: m.rss / 2 ** 20 });
    return m.heapUsed;
  };
  note('node started, nothing loaded');
  await import('../src/cli/main.js');
  note('the CLI entry loaded (each command\'s own code loads when it runs)');
  const { loadRecordsFile } = await import('../src/input/load-records.js');
  const { prepareDataset } = await import('../src/core/dataset.js');
  const { iterateAggregations } = await import('../src/core/compute.js');
  const { DEFAULT_GRID } = await import('../src/core/filters.js');
  const { newestWatchedAt } = await import('../src/core/newest-watch.js');
  // What is let go is held only inside functions that have returned (or in `held`): a value left in a
  // live frame's registers would stay reachable however the variable is cleared.
  type Records = Awaited<ReturnType<typeof loadRecordsFile>>['records'];
  const held: { records: Records | null } = { records: null };
  const read = async (): Promise<void> => {
    held.records = (await loadRecordsFile(file)).records;
    note('records read through a window of the file, parsed and validated');
  };
  await read();
  const prepare = (): ReturnType<typeof prepareDataset> => {
    const records = held.records!;
    const prepared = prepareDataset(records, { asOf: newestWatchedAt(records)!, timeZone: 'UTC' });
    note('the dataset prepared, the records still held');
    return prepared;
  };
  const dataset = prepare();
  held.records = null;
  const base = note('the records let go: what the computation holds throughout');
  let largest = 0;
  let which = '';
  for (const result of iterateAggregations(dataset, undefined, DEFAULT_GRID)) {
    const held = note('') - base;
    steps.pop();
    if (held > largest) {
      largest = held;
      which = `${result.type}, ${result.filters.timeframe}/${result.filters.product}, ${(Buffer.byteLength(result.json) / 2 ** 20).toFixed(1)} MiB of JSON`;
    }
  }
  steps.push({ step: `the largest result while it is written (${which}), its filter set's view included`, heap: base / 2 ** 20 + largest / 2 ** 20, buffers: 0, rss: process.memoryUsage().rss / 2 ** 20 });
  process.stdout.write(JSON.stringify(steps));
}

const childIndex = process.argv.indexOf('--rusage-child');
const breakdownIndex = process.argv.indexOf('--breakdown');
if (childIndex >= 0) await rusageChild(process.argv[childIndex + 1]!, process.argv.slice(childIndex + 2));
else if (breakdownIndex >= 0) await breakdown(process.argv[breakdownIndex + 1]!);
else await main();
