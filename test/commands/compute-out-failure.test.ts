// `agg compute --out FILE` is whole or absent: a write that fails halfway (a full disk) or a computation
// that fails halfway leaves no file (the previous one stays as it was) and no temporary file.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { generateUser } from '../../fixtures/generator.js';
import { runAgg } from '../support/cli.js';

const faults = vi.hoisted(() => ({ failWriteAfter: -1, writes: 0, bytesWritten: 0, failComputeAfter: -1 }));

// Writes to a file opened for writing a new file ('wx', the temporary file) fail with ENOSPC once
// `failWriteAfter` writes went through.
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    if (faults.failWriteAfter < 0 || args[1] !== 'wx') return handle;
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'write') {
          return async (data: string) => {
            if (faults.writes++ >= faults.failWriteAfter) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
            faults.bytesWritten += Buffer.byteLength(data);
            return target.write(data);
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { ...actual, open, default: { ...actual, open } };
});

// The computation throws (a bug, say) after `failComputeAfter` results.
vi.mock('../../src/core/compute.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/core/compute.js')>();
  function* iterateAggregations(...args: Parameters<typeof actual.iterateAggregations>): ReturnType<typeof actual.iterateAggregations> {
    let n = 0;
    for (const result of actual.iterateAggregations(...args)) {
      if (faults.failComputeAfter >= 0 && n++ >= faults.failComputeAfter) throw new Error('a bug in an aggregation');
      yield result;
    }
  }
  return { ...actual, iterateAggregations };
});

const dir = mkdtempSync(join(tmpdir(), 'agg-compute-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => Object.assign(faults, { failWriteAfter: -1, writes: 0, bytesWritten: 0, failComputeAfter: -1 }));

const records = generateUser({ userId: 'out', records: 2500, seed: 'compute-out', years: 2, channels: 80 });
const input = join(dir, 'records.jsonl');
writeFileSync(input, records.map((r) => JSON.stringify(r)).join('\n') + '\n');

function fresh(): { where: string; out: string } {
  const where = mkdtempSync(join(dir, 'case-'));
  const out = join(where, 'out.json');
  writeFileSync(out, 'previous');
  return { where, out };
}

describe('agg compute --out on failure', () => {
  it('a write error halfway (no space left): exit 3, the previous file kept, no temporary file', async () => {
    const { where, out } = fresh();
    faults.failWriteAfter = 1;
    const { code, stdout, stderr } = await runAgg(['compute', input, '--grid', '--json', '--out', out]);
    expect(faults.bytesWritten).toBeGreaterThanOrEqual(1 << 20); // a megabyte was written before the failure
    expect({ code, stdout }).toEqual({ code: 3, stdout: '' });
    expect(stderr).toBe(`agg: ${out}: cannot write: no space left on the device\n`);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(readdirSync(where)).toEqual(['out.json']);
  });

  it('a computation that fails halfway: reported as itself (exit 70), the previous file kept, no temporary file', async () => {
    const { where, out } = fresh();
    faults.failComputeAfter = 170;
    const { code, stdout, stderr } = await runAgg(['compute', input, '--grid', '--jsonl', '--out', out]);
    expect({ code, stdout }).toEqual({ code: 70, stdout: '' });
    expect(stderr).toMatch(/^agg: unexpected error: a bug in an aggregation/);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    expect(readdirSync(where)).toEqual(['out.json']);
  });

  it('the same run without faults writes the file', async () => {
    const { out } = fresh();
    const { code } = await runAgg(['compute', input, '--grid', '--json', '--out', out]);
    expect(code).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { results: unknown[] }).results).toHaveLength(180);
    expect(readFileSync(out).length).toBeGreaterThan(1 << 20); // more than one write: the faults above strike halfway
  });
});
