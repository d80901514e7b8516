import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inputRecordSchema } from '../../src/core/record.js';
import { runAgg } from '../support/cli.js';
import { htmlEntry, htmlExport, watchedLine } from '../takeout/snippets.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SAMPLE_JSON = join(root, 'fixtures/samples/demo-takeout.json');
const SAMPLE_HTML = join(root, 'fixtures/samples/demo-takeout.html');
const dir = mkdtempSync(join(tmpdir(), 'agg-parse-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('agg parse: the report', () => {
  it('prints a readable report of an HTML export', async () => {
    const run = await runAgg(['parse', SAMPLE_HTML]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${SAMPLE_HTML}: Takeout HTML export`);
    expect(run.stdout).toMatch(/entries read\s+│\s+321 │/);
    expect(run.stdout).toMatch(/watches \(records\)\s+│\s+307 │/);
    expect(run.stdout).toMatch(/duplicates merged\s+│\s+4 │/);
    expect(run.stdout).toMatch(/viewed community posts\s+│\s+5 │/);
    expect(run.stdout).toContain('first watch: 2023-07-04T18:17:30.000Z');
    expect(run.stdout).toContain('undated because: unknown time zone "IST": 1');
    expect(run.stdout).toContain('hint: pass --source-tz');
  });

  it('prints exactly one JSON document with --json', async () => {
    const run = await runAgg(['parse', SAMPLE_JSON, '--json']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(Object.keys(document)).toEqual(['schema', 'file', 'format', 'report', 'output']);
    expect(document).toMatchObject({ file: SAMPLE_JSON, format: 'takeout-json', output: null });
    expect(document.report).toMatchObject({ entries: 316 + 4, watches: 306, duplicatesMerged: 4, undated: 0 });
    expect(document.report.entries).toBe(document.report.watches + document.report.duplicatesMerged + document.report.skippedTotal);
  });

  it('--source-tz dates timestamps with an unknown zone', async () => {
    const run = await runAgg(['parse', SAMPLE_HTML, '--json', '--source-tz', 'America/Chicago']);
    expect(JSON.parse(run.stdout).report).toMatchObject({ undated: 0, resolvedWithSourceTimeZone: 1, sourceTimeZone: 'America/Chicago' });
    const readable = await runAgg(['parse', SAMPLE_HTML, '--source-tz', 'America/Chicago']);
    expect(readable.stdout).toContain('source time zone: America/Chicago (1 timestamp resolved through it)');
    expect(readable.stdout).not.toContain('hint:');
  });

  it('resolves relative paths against the working directory', async () => {
    const run = await runAgg(['parse', 'samples/demo-takeout.json', '--json'], { cwd: join(root, 'fixtures') });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).file).toBe('samples/demo-takeout.json');
  });
});

describe('agg parse --out', () => {
  it('writes the records as JSON Lines that agg compute reads back with the same results', async () => {
    const out = join(dir, 'records.jsonl');
    const run = await runAgg(['parse', SAMPLE_JSON, '--out', out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`wrote 306 records to ${out}`);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(306);
    for (const line of lines) expect(inputRecordSchema.safeParse(JSON.parse(line)).success).toBe(true);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    const fromRecords = await runAgg(['compute', out, '--json', '--grid']);
    const fromTakeout = await runAgg(['compute', SAMPLE_JSON, '--json', '--grid']);
    expect(fromRecords.code).toBe(0);
    expect(fromRecords.stdout).toBe(fromTakeout.stdout);
  });

  it('names the output in the JSON document', async () => {
    const out = join(dir, 'named.jsonl');
    const run = await runAgg(['parse', SAMPLE_HTML, '--json', '--out', out]);
    expect(JSON.parse(run.stdout).output).toEqual({ path: out, records: 307 });
  });

  it('never leaves a partial file: bad input keeps the old output untouched', async () => {
    const out = file('kept.jsonl', 'old contents\n');
    const broken = file('broken.json', readFileSync(SAMPLE_JSON, 'utf8').slice(0, 50_000));
    const run = await runAgg(['parse', broken, '--out', out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`agg: ${broken}: the JSON ends inside entry 133: the file looks truncated (export or download it again)\n`);
    expect(readFileSync(out, 'utf8')).toBe('old contents\n');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('a write that fails leaves nothing behind', async () => {
    const missing = join(dir, 'no-such-dir', 'records.jsonl');
    const run = await runAgg(['parse', SAMPLE_JSON, '--out', missing]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`agg: ${missing}: cannot write: the directory does not exist\n`);
    const directory = join(dir, 'a-directory');
    mkdirSync(directory);
    const intoDirectory = await runAgg(['parse', SAMPLE_JSON, '--out', directory]);
    expect(intoDirectory.code).toBe(2);
    expect(intoDirectory.stderr).toMatch(/a-directory: cannot write/);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to overwrite the export itself', async () => {
    const copy = file('watch-history.json', readFileSync(SAMPLE_JSON, 'utf8'));
    const run = await runAgg(['parse', copy, '--out', copy]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('agg: --out names the input file; choose another path so the export is kept\n');
    expect(readFileSync(copy, 'utf8')).toBe(readFileSync(SAMPLE_JSON, 'utf8'));
  });
});

describe('agg parse: bad input is one line on stderr and exit 2', () => {
  const cases: Array<[string, () => string[], RegExp]> = [
    ['a missing file', () => ['parse', join(dir, 'nope.json')], /nope\.json: no such file$/],
    ['a records file', () => ['parse', join(root, 'fixtures/samples/demo.jsonl')], /demo\.jsonl: a records file, not a Takeout export \(agg compute reads it as it is\)$/],
    ['invalid JSON', () => ['parse', file('bad.json', '[{"header": "YouTube", "title": }]')], /bad\.json: invalid JSON in entry 1 starting at line 1, column 2: Unexpected token '}'/],
    ['not an export', () => ['parse', file('notes.txt', 'hello')], /notes\.txt: not a Takeout watch-history export/],
    ['an entry without a time', () => ['parse', file('no-time.json', '[{"header":"YouTube","title":"Watched X"}]')], /no-time\.json: entry 1 \(line 1, column 2\) is not a Takeout activity: "time" expected string \(missing\)$/],
    ['an unknown source zone', () => ['parse', SAMPLE_HTML, '--source-tz', 'Atlantis/Capital'], /^agg: --source-tz "Atlantis\/Capital" is not an IANA time zone/],
    ['a missing argument', () => ['parse'], /missing required argument 'file'/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const run = await runAgg(args());
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')).toHaveLength(2);
    expect(run.stderr.trimEnd()).toMatch(message);
    expect(run.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('an HTML export cut short', async () => {
    const html = htmlExport([htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=abcdefghijk', 'X'), 'Jan 1, 2024, 1:00:00 AM UTC'] })]);
    const run = await runAgg(['parse', file('cut.html', html.slice(0, -40))]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/cut\.html: the HTML ends before its closing <\/body> tag: the file looks truncated/);
    expect(existsSync(join(dir, 'cut.html'))).toBe(true);
  });
});

describe('agg compute reads Takeout exports', () => {
  it('computes from a Takeout HTML export and says what the parse found', async () => {
    const run = await runAgg(['compute', SAMPLE_HTML, '--type', 'kpi']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${SAMPLE_HTML}: Takeout HTML export, 321 entries: 307 watches kept, 4 duplicates merged, 10 other activities skipped`);
    expect(run.stdout).toMatch(/295 records \(1 undated\), 12 ads left out/);
  });

  it('--source-tz reaches the parser, and --json stays one document', async () => {
    const run = await runAgg(['compute', SAMPLE_HTML, '--type', 'kpi', '--json', '--source-tz', 'America/Chicago']);
    expect(run.code).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document.results[0].type).toBe('kpi');
  });
});
