import type { JsonValue } from '../../core/json.js';
import type { FlagChange, FlagChangeOutcome, RolloutEvent, RolloutFlag, RolloutOverride } from '../types.js';
import { eventAnswer, flagAnswer, flagChangeAnswer, overrideAnswer } from './answers.js';
import type { ConvexCalls } from './convex-calls.js';

// Rollout flags, their overrides and their audit log over a Convex deployment (rollout:*).

export function getFlag(calls: ConvexCalls, flag: string): Promise<RolloutFlag | null> {
  return calls.query('rollout:getFlag', { flag }, flagAnswer.nullable());
}

export function listFlags(calls: ConvexCalls): Promise<RolloutFlag[]> {
  return calls.query('rollout:listFlags', {}, flagAnswer.array());
}

export function listOverrides(calls: ConvexCalls, flag: string): Promise<RolloutOverride[]> {
  return calls.all('rollout:listOverrides', { flag }, overrideAnswer, 4000);
}

export function applyFlagChange(calls: ConvexCalls, change: FlagChange): Promise<FlagChangeOutcome> {
  return calls.mutation(
    'rollout:applyChange',
    {
      flag: change.flag,
      setOverrides: change.setOverrides,
      clearOverrides: change.clearOverrides,
      event: change.event,
      expectedUpdatedAt: change.expectedUpdatedAt,
    },
    flagChangeAnswer,
  );
}

export async function listFlagEvents(calls: ConvexCalls, flag: string, limit: number): Promise<RolloutEvent[]> {
  const events = await calls.query('rollout:listEvents', { flag, limit }, eventAnswer.array());
  return events.map((event) => ({ ...event, details: (event.details ?? null) as JsonValue }));
}
