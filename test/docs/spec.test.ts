// The repository's own copy of the normative description must not drift from the reference it was
// taken from (present on the development machines at ../shared/spec).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const REFERENCE = join(process.cwd(), '../shared/spec/aggregations.md');

describe('docs/spec/aggregations.md', () => {
  it.skipIf(!existsSync(REFERENCE))('equals the reference specification it copies (skipped where ../shared/spec is absent)', () => {
    expect(readFileSync(join(process.cwd(), 'docs/spec/aggregations.md'), 'utf8')).toBe(readFileSync(REFERENCE, 'utf8'));
  });

  it('is linked from the README and docs/aggregations.md, and nothing links outside the repository', () => {
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    const summary = readFileSync(join(process.cwd(), 'docs/aggregations.md'), 'utf8');
    expect(readme).toContain('](docs/spec/aggregations.md)');
    expect(summary).toContain('](spec/aggregations.md)');
    expect(readme + summary).not.toMatch(/\]\(\.\.\/\.\.?\/shared/);
  });
});
