import { describe, expect, it } from 'vitest';
import { TakeoutFormatError, parseTakeout, parseTakeoutHtml, parseTakeoutJson } from '../../src/takeout/index.js';
import { htmlEntry, htmlExport, jsonExport, watchedLine } from './snippets.js';

const ENTRY = { header: 'YouTube', title: 'Watched X', titleUrl: 'https://www.youtube.com/watch?v=abcdefghijk', time: '2024-01-01T00:00:00Z' };

function errorOf(run: () => unknown): TakeoutFormatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TakeoutFormatError);
    expect((error as Error).message).not.toContain('\n');
    return error as TakeoutFormatError;
  }
  throw new Error('expected a TakeoutFormatError');
}

describe('malformed JSON exports: one line naming the problem', () => {
  const good = jsonExport([ENTRY, { ...ENTRY, time: '2024-01-02T00:00:00Z' }]);

  it('a file truncated inside an entry, or after one', () => {
    expect(errorOf(() => parseTakeoutJson(good.slice(0, good.length - 40))).message).toMatch(/ends inside entry 2: the file looks truncated/);
    expect(errorOf(() => parseTakeoutJson(good.slice(0, good.lastIndexOf(']')))).message).toMatch(/ends after entry 2 without closing its array/);
    expect(errorOf(() => parseTakeoutJson('[')).message).toMatch(/truncated/);
  });

  it('invalid JSON inside an entry, with its line and column', () => {
    const broken = good.replace('"title": "Watched X",', '"title": "Watched X" oops,');
    expect(errorOf(() => parseTakeoutJson(broken)).message).toMatch(/^invalid JSON in entry 1 at line 4, column \d+: /);
  });

  it('invalid JSON between entries, a trailing comma, text after the array', () => {
    expect(errorOf(() => parseTakeoutJson(`[${JSON.stringify(ENTRY)} ${JSON.stringify(ENTRY)}]`)).message).toMatch(/expected "," or "\]" after entry 1/);
    expect(errorOf(() => parseTakeoutJson(`[${JSON.stringify(ENTRY)},]`)).message).toMatch(/expected entry 2/);
    expect(errorOf(() => parseTakeoutJson(`[${JSON.stringify(ENTRY)}] extra`)).message).toMatch(/unexpected text after the array/);
  });

  it('not an array, an empty file, entries that are not activities', () => {
    expect(errorOf(() => parseTakeoutJson('{"title": "x"}')).message).toBe('not a Takeout watch-history export: expected a JSON array of activities');
    expect(errorOf(() => parseTakeoutJson('  \n')).message).toBe('the file is empty');
    expect(errorOf(() => parseTakeoutJson('[1, 2]')).message).toMatch(/^entry 1 \(line 1, column 2\) is not an activity object \(got 1\)/);
    expect(errorOf(() => parseTakeoutJson(jsonExport([ENTRY, { header: 'YouTube', title: 'Watched Y' }]))).message).toMatch(
      /^entry 2 \(line \d+, column 3\) is not a Takeout activity: "time" expected string \(missing\)$/,
    );
    expect(errorOf(() => parseTakeoutJson(jsonExport([{ ...ENTRY, subtitles: 'Rick' }]))).message).toMatch(/"subtitles" expected array \(got "Rick"\)/);
  });

  it('a byte-order mark is fine', () => {
    expect(parseTakeoutJson(`\ufeff${good}`).report.watches).toBe(2);
  });
});

describe('malformed HTML exports', () => {
  const good = htmlExport([htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=abcdefghijk', 'X'), 'Jan 1, 2024, 1:00:00 AM UTC'] })]);

  it('a truncated file', () => {
    expect(errorOf(() => parseTakeoutHtml(good.slice(0, good.indexOf('</body>')))).message).toMatch(/ends before its closing <\/body> tag/);
    const cutInsideEntry = good.slice(0, good.indexOf('Jan 1')) + '</body></html>';
    expect(errorOf(() => parseTakeoutHtml(cutInsideEntry)).message).toMatch(/^entry 1 is incomplete/);
  });

  it('HTML that is not a Takeout export', () => {
    expect(errorOf(() => parseTakeoutHtml('<html><body><p>Hello</p></body></html>')).message).toBe(
      'an HTML file, but not a Takeout watch-history export (no activity entries found)',
    );
    expect(errorOf(() => parseTakeout('<html><body><div class="outer-cell"><div class="mdl-grid"></div></div></body></html>')).message).toMatch(/no content cell/);
  });

  it('neither format', () => {
    expect(errorOf(() => parseTakeout('id,watchedAt\n1,2024')).message).toBe('not a Takeout watch-history export (expected watch-history.json or watch-history.html)');
    expect(errorOf(() => parseTakeout('[{"id":"a","watchedAt":null}]')).message).toMatch(/not a Takeout watch-history export/);
  });
});
