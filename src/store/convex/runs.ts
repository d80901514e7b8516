import type { JsonValue } from '../../core/json.js';
import type { RunRecord } from '../types.js';
import { nullAnswer, runAnswer } from './answers.js';
import type { ConvexCalls } from './convex-calls.js';

// The run ledger over a Convex deployment (runs:putRun, getRun, listRuns).

export async function putRun(calls: ConvexCalls, run: RunRecord): Promise<void> {
  await calls.mutation('runs:putRun', { run }, nullAnswer);
}

export async function getRun(calls: ConvexCalls, runId: string): Promise<RunRecord | null> {
  const run = await calls.query('runs:getRun', { runId }, runAnswer.nullable());
  return run && { ...run, checkpoint: (run.checkpoint ?? null) as JsonValue };
}

export async function listRuns(calls: ConvexCalls, limit: number, command?: string): Promise<RunRecord[]> {
  const runs = await calls.query('runs:listRuns', { limit, ...(command !== undefined ? { command } : {}) }, runAnswer.array());
  return runs.map((run) => ({ ...run, checkpoint: (run.checkpoint ?? null) as JsonValue }));
}
