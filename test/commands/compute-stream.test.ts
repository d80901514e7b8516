// `agg compute --json`, `--jsonl` and `--out` write each result as it is computed. The streamed document
// must be the very bytes the in-memory serialization wrote before; `--out` is whole or absent; a slow
// reader is waited for ('drain'); a reader that goes away (EPIPE) ends the run quietly.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { computeAggregations } from '../../src/core/compute.js';
import { DEFAULT_GRID, canonicalFilters } from '../../src/core/filters.js';
import { canonicalJson } from '../../src/core/json.js';
import { newestWatchedAt } from '../../src/core/newest-watch.js';
import type { InputRecord } from '../../src/core/record.js';
import { generateUser } from '../../fixtures/generator.js';
import { builtCli } from '../support/built-cli.js';
import { runAgg } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'agg-compute-stream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RECORDS: InputRecord[] = generateUser({ userId: 'stream', records: 1500, seed: 'compute-stream', years: 2, channels: 80 });
const jsonl = join(dir, 'records.jsonl');
writeFileSync(jsonl, RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');

/** What `agg compute --json` wrote before it streamed: the whole document built in memory, then written once. */
function inMemoryDocument(records: readonly InputRecord[], options: { asOf?: string; timeZone?: string; types?: Parameters<typeof computeAggregations>[0]['types']; filterSets?: Parameters<typeof computeAggregations>[0]['filterSets'] } = {}): string {
  const asOf = options.asOf ?? newestWatchedAt(records)!;
  const { summary, results } = computeAggregations({ records, context: { asOf, timeZone: options.timeZone ?? 'UTC' }, types: options.types, filterSets: options.filterSets });
  const entries = results.map(
    (r) => `{"type":${JSON.stringify(r.type)},"version":${r.version},"filters":${canonicalJson(r.filters)},"filterHash":${JSON.stringify(r.filterHash)},"data":${r.json}}`,
  );
  return `{"schema":"agg.compute/v1","asOf":${JSON.stringify(summary.asOf)},"timeZone":${JSON.stringify(summary.timeZone)},"results":[${entries.join(',')}]}\n`;
}

const temporaries = (where: string) => readdirSync(where).filter((name) => name.endsWith('.tmp'));

describe('agg compute --json streams the same bytes as the in-memory document', () => {
  it('for the grid', async () => {
    const { code, stdout, stderr } = await runAgg(['compute', jsonl, '--grid', '--json']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const expected = inMemoryDocument(RECORDS, { filterSets: DEFAULT_GRID });
    expect(expected.length).toBeGreaterThan(256 * 1024); // many writes, not one
    expect(stdout).toBe(expected);
  });

  it('for a filtered set, some types, another zone and --as-of', async () => {
    const args = ['compute', jsonl, '--json', '--type', 'top_channels', '--type', 'kpi', '--type', 'session_analysis', '--timeframe', 'Last6M', '--product', 'YouTube', '--tz', 'Asia/Tokyo', '--as-of', '2025-06-01T00:00:00+09:00'];
    const { code, stdout } = await runAgg(args);
    expect(code).toBe(0);
    const filters = canonicalFilters({ timeframe: 'Last6M', product: 'YouTube' });
    expect(stdout).toBe(inMemoryDocument(RECORDS, { asOf: '2025-05-31T15:00:00.000Z', timeZone: 'Asia/Tokyo', types: ['kpi', 'top_channels', 'session_analysis'], filterSets: [filters] }));
  });
});

describe('agg compute --jsonl', () => {
  it('prints one result per line, each the envelope of the JSON document', async () => {
    const [document, lines] = await Promise.all([runAgg(['compute', jsonl, '--grid', '--json']), runAgg(['compute', jsonl, '--grid', '--jsonl'])]);
    expect(lines.code).toBe(0);
    expect(lines.stderr).toBe('');
    expect(lines.stdout.endsWith('}\n')).toBe(true);
    const texts = lines.stdout.slice(0, -1).split('\n');
    expect(texts).toHaveLength(180);
    const parsed = JSON.parse(document.stdout) as { asOf: string; timeZone: string; results: unknown[] };
    texts.forEach((text, i) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(line)).toEqual(['type', 'version', 'filters', 'filterHash', 'data']);
      expect(line).toEqual(parsed.results[i]);
    });
    // Byte for byte: the document is its lines joined, inside the header.
    expect(document.stdout).toBe(`{"schema":"agg.compute/v1","asOf":${JSON.stringify(parsed.asOf)},"timeZone":${JSON.stringify(parsed.timeZone)},"results":[${texts.join(',')}]}\n`);
  });

  it('refuses --json and --jsonl together', async () => {
    const { code, stdout, stderr } = await runAgg(['compute', jsonl, '--json', '--jsonl']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/^agg: option '--jsonl' cannot be used with option '--json' \(see agg --help\)\n$/);
  });

  it('refuses them together in either order', async () => {
    const { code, stdout, stderr } = await runAgg(['compute', jsonl, '--jsonl', '--json']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.split('\n')).toHaveLength(2);
    expect(stderr).toMatch(/^agg: option '--json' cannot be used with option '--jsonl' \(see agg --help\)\n$|^agg: option '--jsonl' cannot be used with option '--json' \(see agg --help\)\n$/);
  });
});

describe('agg compute --out', () => {
  it('writes the JSON document, or JSON Lines, whole; stdout says what was written', async () => {
    const out = join(dir, 'out.json');
    const run = await runAgg(['compute', jsonl, '--grid', '--out', out]);
    expect(run).toEqual({ code: 0, stdout: `wrote 180 results to ${out} (one JSON document)\n`, stderr: '' });
    expect(readFileSync(out, 'utf8')).toBe(inMemoryDocument(RECORDS, { filterSets: DEFAULT_GRID }));
    const lines = join(dir, 'out.jsonl');
    const jsonlRun = await runAgg(['compute', jsonl, '--grid', '--jsonl', '--out', lines]);
    expect(jsonlRun.code).toBe(0);
    expect(jsonlRun.stdout).toBe(`wrote 180 results to ${lines} (JSON Lines)\n`);
    expect(readFileSync(lines, 'utf8')).toBe((await runAgg(['compute', jsonl, '--grid', '--jsonl'])).stdout);
    expect(temporaries(dir)).toEqual([]);
  });

  it('leaves the previous file as it was, and no temporary file, when the input has an invalid record mid-file', async () => {
    const where = mkdtempSync(join(dir, 'invalid-'));
    const lines = RECORDS.slice(0, 200).map((r) => JSON.stringify(r));
    lines[120] = JSON.stringify({ ...RECORDS[120], watchedAt: 'yesterday' });
    const input = join(where, 'bad.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const out = join(where, 'out.json');
    writeFileSync(out, 'previous');
    const { code, stdout, stderr } = await runAgg(['compute', input, '--grid', '--json', '--out', out]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/bad\.jsonl:121: invalid record: watchedAt/);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(temporaries(where)).toEqual([]);
  });

  it('leaves no file when the rename fails (the path is a directory)', async () => {
    const where = mkdtempSync(join(dir, 'rename-'));
    mkdirSync(join(where, 'taken'));
    const { code, stdout, stderr } = await runAgg(['compute', jsonl, '--grid', '--out', join(where, 'taken')]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(/taken: cannot write: it is a directory/);
    expect(temporaries(where)).toEqual([]);
  });

  it('writes nothing when a signal arrives before the end (exit 130)', async () => {
    const where = mkdtempSync(join(dir, 'signal-'));
    const out = join(where, 'out.json');
    const stop = new AbortController();
    stop.abort('SIGINT');
    const { code, stdout, stderr } = await runAgg(['compute', jsonl, '--grid', '--json', '--out', out], { signal: stop.signal });
    expect({ code, stdout }).toEqual({ code: 130, stdout: '' });
    expect(stderr).toBe(`agg: interrupted; nothing was written to ${out}\n`);
    expect(existsSync(out)).toBe(false);
    expect(temporaries(where)).toEqual([]);
  });

  it('refuses --out naming the input file', async () => {
    const { code, stderr } = await runAgg(['compute', jsonl, '--out', jsonl]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--out names the input file/);
    expect(readFileSync(jsonl, 'utf8')).toBe(RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
});

/** Runs agg in-process with stdout a real Writable stream (the `raw` stream agg waits on); stderr captured. */
async function runOnStream(args: string[], stdout: Writable): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => stdout.write(text), isTTY: false, raw: stdout as unknown as NodeJS.WriteStream },
    stderr: { write: (text: string) => ((stderr += text), true), isTTY: false },
    env: {},
    cwd: process.cwd(),
    now: () => Date.parse('2025-07-01T00:00:00.000Z'),
  };
  const code = await runCli(args, io);
  return { code, stderr };
}

describe('agg compute on a slow or closed stdout', () => {
  it('waits for drain when write() returns false: the stream never buffers more than about one piece', async () => {
    const expected = inMemoryDocument(RECORDS, { filterSets: DEFAULT_GRID });
    const received: Buffer[] = [];
    let largestBuffered = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        setTimeout(callback, 1); // a reader slower than agg
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: string) => {
      const accepted = write(chunk);
      largestBuffered = Math.max(largestBuffered, slow.writableLength);
      return accepted;
    }) as typeof slow.write;
    expect(await runOnStream(['compute', jsonl, '--grid', '--json'], slow)).toEqual({ code: 0, stderr: '' });
    expect(Buffer.concat(received).toString('utf8')).toBe(expected);
    // Without waiting for 'drain', the whole document would sit in the stream's buffer.
    const largestResult = Math.max(...(JSON.parse(expected) as { results: unknown[] }).results.map((r) => JSON.stringify(r).length));
    expect(largestBuffered).toBeLessThanOrEqual(Math.max(largestResult, 64 * 1024) + 16 * 1024);
    expect(largestBuffered).toBeLessThan(expected.length / 4);
  });

  it('ends quietly with exit 0 when the reader goes away (EPIPE), computing no further', async () => {
    let writes = 0;
    const closing = new Writable({
      write(_chunk, _encoding, callback) {
        writes++;
        callback(writes >= 2 ? Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }) : null);
      },
    });
    expect(await runOnStream(['compute', jsonl, '--grid', '--json'], closing)).toEqual({ code: 0, stderr: '' });
    expect(writes).toBeLessThan(5);
  });
});

describe('agg compute --json | head, as a real process', () => {
  let bin = '';
  beforeAll(() => {
    bin = builtCli();
  }, 200_000);

  it('exits 0 without a word on stderr when stdout is closed after 100 bytes', async () => {
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; received: number }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'compute', jsonl, '--grid', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let received = 0;
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.once('data', (chunk: Buffer) => {
        received = Math.min(chunk.length, 100);
        child.stdout.destroy(); // `head -c 100` has what it wants and exits
      });
      child.on('close', (code, signal) => resolve({ code, signal, stderr, received }));
    });
    expect(result).toEqual({ code: 0, signal: null, stderr: '', received: 100 });
  });

  it('exits 0 in a shell pipeline into head -c 100', async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      // The shell reports agg's own exit code (the pipeline's first command) on fd 3.
      const script = `{ "$0" "$1" compute "$2" --grid --json; echo "agg=$?" >&3; } | head -c 100`;
      const child = spawn('sh', ['-c', `exec 3>&2; ${script}`, process.execPath, bin, jsonl], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(result.stdout).toHaveLength(100);
    expect(result.stdout.startsWith('{"schema":"agg.compute/v1","asOf":')).toBe(true);
    expect(result.stderr).toBe('agg=0\n');
    expect(result.code).toBe(0);
  });
});
