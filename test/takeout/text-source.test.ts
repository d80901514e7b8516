import { describe, expect, it } from 'vitest';
import { TakeoutFormatError, parseTakeout } from '../../src/takeout/index.js';
import { headOf, stringSource, utf8Source } from '../../src/takeout/text-source.js';
import { htmlEntry, htmlExport, jsonExport, watchedLine } from './snippets.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('text sources: a string and its UTF-8 bytes read alike', () => {
  const text = '[{"title": "日本 ümlaut 😀"},\n {"title": "x"}]';

  it('finds ASCII structure and decodes ranges', () => {
    const bytes = utf8(text);
    for (const source of [stringSource(text), utf8Source(bytes)]) {
      const second = source.findText('{"title": "x"}', 0);
      expect(source.text(second, source.length)).toBe('{"title": "x"}]');
      expect(source.position(second)).toBe('line 2, column 2');
      expect(source.code(source.find(0x5d, 0))).toBe(0x5d);
    }
  });

  it('skips a byte-order mark', () => {
    expect(utf8Source(utf8('\ufeff[]')).start).toBe(3);
    expect(stringSource('\ufeff[]').start).toBe(1);
    expect(headOf(utf8('\ufeff<html>'), 4)).toBe('<htm');
  });

  it('never cuts the head through a character', () => {
    expect(headOf(utf8('ab日本'), 4)).toBe('ab');
    expect(headOf(utf8('ab日本'), 5)).toBe('ab日');
  });

  it('refuses bytes that are not UTF-8, naming where', () => {
    const bytes = Uint8Array.from([...utf8('[{"title": "'), 0xff, 0xfe, ...utf8('"}]')]);
    expect(() => parseTakeout(bytes)).toThrow(TakeoutFormatError);
    expect(() => utf8Source(bytes).text(0, bytes.length)).toThrow('not UTF-8 text near line 1, column 1 (save the file as UTF-8)');
  });
});

describe('parsers give the same result from a string and from its bytes', () => {
  const json = jsonExport([
    { header: 'YouTube', title: 'Watched 日本の動画 😀', titleUrl: 'https://www.youtube.com/watch?v=abcdefghijk', time: '2024-01-01T00:00:00Z' },
    { header: 'YouTube', title: 'Used Shorts creation tools', time: '2024-01-01T00:00:01Z' },
  ]);
  const html = htmlExport([
    htmlEntry({ lines: [watchedLine('https://www.youtube.com/watch?v=abcdefghijk', 'Ça va — 日本 &amp; more'), 'Jan 1, 2024, 1:00:00\u202fAM UTC'] }),
    htmlEntry({ lines: ['Used Shorts creation tools', 'Jan 1, 2024, 1:00:00\u202fAM UTC'] }),
  ]);

  it.each([
    ['JSON', json],
    ['HTML', html],
    ['JSON with a BOM', `\ufeff${json}`],
    ['HTML with a BOM', `\ufeff${html}`],
  ])('%s', (_name, text) => {
    const fromString = parseTakeout(text);
    expect(parseTakeout(utf8(text))).toEqual(fromString);
    expect(fromString.report.watches).toBe(1);
  });

  it('errors point at the same place in both', () => {
    const broken = json.replace('"title": "Watched 日本の動画 😀"', '"title": "Watched 日本の動画 😀" oops');
    const message = (input: string | Uint8Array): string => {
      try {
        parseTakeout(input);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(message(utf8(broken))).toBe(message(broken));
    expect(message(broken)).toMatch(/^invalid JSON in entry 1 at line 4, column 33: /);
    const cut = html.slice(0, -30);
    expect(message(utf8(cut))).toBe(message(cut));
  });
});
