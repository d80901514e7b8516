import { describe, expect, it } from 'vitest';
import { collectGarbageIfGrown, collectingBetweenFilterSets } from '../../src/runtime/heap.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('collecting garbage between filter sets', () => {
  it('passes every result through, in order', () => {
    const results = [{ filterHash: 'a', n: 1 }, { filterHash: 'a', n: 2 }, { filterHash: 'b', n: 3 }, { filterHash: 'c', n: 4 }];
    expect([...collectingBetweenFilterSets(results, 100_000)]).toEqual(results);
  });

  it('collects garbage the heap still holds once it has grown past the floor, without node --expose-gc', async () => {
    // 64 MiB that is garbage from here on, but old enough (large objects) that only a full collection frees it.
    let garbage: number[][] | null = Array.from({ length: 64 }, () => new Array<number>(1 << 17).fill(1.5));
    const watched = new WeakRef(garbage);
    await turn(); // a WeakRef keeps its target alive until the job that made it ends
    garbage = null;
    collectGarbageIfGrown(100_000);
    await turn();
    expect(watched.deref()).toBeUndefined();
  });
});
