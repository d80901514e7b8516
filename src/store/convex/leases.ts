import type { Lease, LeaseOutcome, LeaseRequest } from '../types.js';
import { booleanAnswer, leaseAnswer, leaseOutcomeAnswer } from './answers.js';
import type { ConvexCalls } from './convex-calls.js';

// Leases over a Convex deployment (runs:acquireLease, listLeases, releaseLease).

export function acquireLease(calls: ConvexCalls, request: LeaseRequest): Promise<LeaseOutcome> {
  return calls.mutation(
    'runs:acquireLease',
    {
      name: request.name,
      holder: request.holder,
      runId: request.runId,
      now: request.now,
      expiresAt: new Date(Date.parse(request.now) + request.ttlMs).toISOString(),
      force: request.force === true,
      ...(request.takeOverFrom !== undefined ? { takeOverFrom: request.takeOverFrom } : {}),
      ...(request.host !== undefined && request.host !== null ? { host: request.host } : {}),
      ...(request.pid !== undefined && request.pid !== null ? { pid: request.pid } : {}),
    },
    leaseOutcomeAnswer,
  );
}

export function listLeases(calls: ConvexCalls): Promise<Lease[]> {
  return calls.query('runs:listLeases', {}, leaseAnswer.array());
}

export function releaseLease(calls: ConvexCalls, name: string, holder: string): Promise<boolean> {
  return calls.mutation('runs:releaseLease', { name, holder }, booleanAnswer);
}
