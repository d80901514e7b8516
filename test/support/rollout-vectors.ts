import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface RolloutVectors {
  readonly flag: string;
  readonly salt: string;
  readonly vectors: ReadonlyArray<{ readonly userId: string; readonly hash: number; readonly bucket: number }>;
}

/** Published vectors, computed by an independent MurmurHash3 (scripts/rollout-vectors.py). */
export const VECTORS = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/rollout-vectors.json', import.meta.url)), 'utf8')) as RolloutVectors;
