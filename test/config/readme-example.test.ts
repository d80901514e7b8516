import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.js';

describe('the README', () => {
  it('shows an agg.config.json that agg accepts', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Configuration (`agg.config.json`)'));
    const example = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    const config = buildConfig(JSON.parse(example), 'README example');
    expect(config.eligibility).toEqual({ minRecords: 100, requireFreshGrid: true });
    expect(config.status.maxExpiredShare).toBe(0.05);
    expect(config.ttlMs.top_channels).toBe(1_800_000);
  });
});
