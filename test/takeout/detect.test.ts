import { describe, expect, it } from 'vitest';
import { detectTakeoutFormat } from '../../src/takeout/index.js';

describe('detectTakeoutFormat: by content, not by file name', () => {
  it('recognizes Takeout JSON by the keys of its first activity', () => {
    expect(detectTakeoutFormat('[{"header":"YouTube","title":"Watched X","time":"2024-01-01T00:00:00Z"}]')).toBe('takeout-json');
    expect(detectTakeoutFormat('\ufeff  [\n  {\n "title": "Watched X", "time": "2024-01-01T00:00:00Z"}]')).toBe('takeout-json');
    // A truncated first entry is still recognized, so the parser can say what is wrong.
    expect(detectTakeoutFormat('[{"header":"YouTube","title":"Watched X","titleUrl":"https://www.youtu')).toBe('takeout-json');
  });

  it('recognizes HTML', () => {
    expect(detectTakeoutFormat('<html><head><title>My Activity History</title>')).toBe('takeout-html');
    expect(detectTakeoutFormat('\n  <!DOCTYPE html><html>')).toBe('takeout-html');
  });

  it('leaves records files and anything else alone', () => {
    expect(detectTakeoutFormat('[{"id":"a","watchedAt":"2024-01-01T00:00:00Z","videoTitle":"x"}]')).toBeNull();
    expect(detectTakeoutFormat('{"id":"a","watchedAt":null}\n{"id":"b","watchedAt":null}\n')).toBeNull();
    expect(detectTakeoutFormat('[]')).toBeNull();
    expect(detectTakeoutFormat('')).toBeNull();
    expect(detectTakeoutFormat('[1,2,3]')).toBeNull();
  });
});
