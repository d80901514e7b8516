import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseTakeout } from '../../src/takeout/index.js';
import { demoTakeoutSamples } from '../../fixtures/samples.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('committed Takeout samples', () => {
  const samples = demoTakeoutSamples();

  it.each(Object.keys(samples))('%s is what the writer makes today (run npm run fixtures:samples after changing it)', (name) => {
    expect(readFileSync(join(root, 'fixtures/samples', name), 'utf8')).toBe(samples[name as keyof typeof samples]);
  });

  it('both samples hold the same history', () => {
    const json = parseTakeout(samples['demo-takeout.json']).records;
    const html = parseTakeout(samples['demo-takeout.html']).records;
    const videos = (records: typeof json): string[] => records.flatMap((r) => (r.videoId ? [r.videoId] : [])).sort();
    // The HTML also holds the one undated watch, which JSON cannot express.
    expect(videos(html).length).toBe(videos(json).length + 1);
    expect(videos(json).every((id) => html.some((r) => r.videoId === id))).toBe(true);
  });
});
