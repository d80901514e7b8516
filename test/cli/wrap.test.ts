import { describe, expect, it } from 'vitest';
import { wrapWords } from '../../src/cli/wrap.js';

describe('wrapWords', () => {
  it('keeps a short sentence on one line', () => {
    expect(wrapWords('users: 1 known, 1 with records')).toEqual(['users: 1 known, 1 with records']);
  });

  it('breaks at spaces within the width and indents continuation lines two columns', () => {
    const lines = wrapWords('aaa bbb ccc ddd eee', 8);
    expect(lines).toEqual(['aaa bbb', '  ccc', '  ddd', '  eee']);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(8);
  });

  it("keeps the text's leading indent on the first line and adds two columns to the continuation", () => {
    expect(wrapWords('  embedded store at /a/very/long/path/to/the/store/agg.db', 24)).toEqual([
      '  embedded store at',
      '    /a/very/long/path/to/the/store/agg.db',
    ]);
  });

  it('leaves a word longer than the width whole on its own line', () => {
    expect(wrapWords('see /x/yyyyyyyyyyyyyyyyyyyy now', 10)).toEqual(['see', '  /x/yyyyyyyyyyyyyyyyyyyy', '  now']);
  });
});
