import { z } from 'zod';
import { OVERRIDE_MODES } from '../../store/types.js';
import { anyJson, count, instant, jsonDocument } from './common.js';

// `agg rollout --json` (or --format json): one shape per action.

const basisPoints = z.number().int().min(0).max(10_000).describe('hundredths of a percent (1234 is 12.34 %)');
const overrideMode = z.enum(OVERRIDE_MODES);

const event = z.strictObject({
  eventId: z.string(),
  flag: z.string(),
  at: instant,
  actor: z.string(),
  action: z.string().describe('create, set-percent, rollback, overrides, …'),
  fromBasisPoints: basisPoints.nullable(),
  toBasisPoints: basisPoints.nullable(),
  reason: z.string().nullable(),
  details: anyJson.describe('what the change did: users entering and leaving, overrides, the eligibility policy'),
});

const flagState = z.strictObject({
  flag: z.string(),
  basisPoints,
  salt: z.string(),
  rolledBack: z.boolean(),
  minRecords: count,
  requireFreshGrid: z.boolean(),
  updatedAt: instant,
  updatedBy: z.string(),
});

const eligibilityPolicy = z.strictObject({ minRecords: count, requireFreshGrid: z.boolean() });

export const rolloutStatusDocument = jsonDocument('agg.rollout/v1', '`agg rollout --json`: a flag now, its overrides, the known users in, served and held back, and its latest changes.', {
  flag: z.string(),
  exists: z.boolean(),
  percent: z.number().min(0).max(100).describe('0 while rolled back'),
  basisPoints,
  rolledBack: z.boolean(),
  salt: z.string().nullable(),
  updatedAt: instant.nullable(),
  updatedBy: z.string().nullable(),
  overrides: z.strictObject({ allow: z.array(z.string()), deny: z.array(z.string()) }),
  users: z.strictObject({ known: count, in: count, inByBucket: count, inByOverride: count, outByOverride: count, heldBack: count, served: count }),
  eligibility: eligibilityPolicy.nullable(),
  events: z.array(event).describe('the latest changes, newest first'),
});

export const rolloutCheckDocument = jsonDocument('agg.rollout.check/v1', '`agg rollout --check USER --json`: whether a user is in and served, and why.', {
  flag: z.string(),
  userId: z.string(),
  flagExists: z.boolean(),
  included: z.boolean(),
  reason: z.enum(['rolled-back', 'override', 'bucket']),
  explanation: z.string(),
  bucket: z.number().int().nullable(),
  threshold: basisPoints.nullable(),
  override: overrideMode.nullable(),
  rolledBack: z.boolean(),
  served: z.boolean(),
  userKnown: z.boolean(),
  results: z.strictObject({ total: count, expired: count }),
  eligible: z.boolean(),
  notEligibleBecause: z.array(z.string()),
  eligibility: eligibilityPolicy,
});

export const rolloutHistoryDocument = jsonDocument('agg.rollout.history/v1', '`agg rollout --history --json`: the audit log, newest first.', {
  flag: z.string(),
  events: z.array(event),
});

const variant = <const Id extends string, Shape extends z.ZodRawShape>(id: Id, shape: Shape) => z.strictObject({ schema: z.literal(id), flag: z.string(), ...shape });

const ROLLBACK = 'agg.rollout.rollback/v1';
export const rolloutRollbackDocument = z
  .discriminatedUnion('kind', [
    // Already rolled back: `flag` is the flag's state.
    z.strictObject({ schema: z.literal(ROLLBACK), flag: flagState, kind: z.literal('unchanged') }),
    variant(ROLLBACK, { kind: z.literal('applied'), from: basisPoints, overridesKept: count, event }),
  ])
  .meta({ title: ROLLBACK, description: '`agg rollout --rollback --json`: the kill switch (kind applied), or nothing to do (kind unchanged, `flag` then the flag\'s state).' });

const OVERRIDES = 'agg.rollout.overrides/v1';
const userChange = z.strictObject({ userId: z.string(), from: overrideMode.nullable(), to: overrideMode.nullable(), before: z.boolean().describe('in before'), after: z.boolean().describe('in after') });
export const rolloutOverridesDocument = z
  .discriminatedUnion('kind', [
    variant(OVERRIDES, { kind: z.literal('unchanged'), users: z.array(userChange), rolledBack: z.boolean() }),
    variant(OVERRIDES, { kind: z.enum(['planned', 'applied']), users: z.array(userChange), rolledBack: z.boolean(), created: z.boolean(), event: event.optional() }),
  ])
  .meta({ title: OVERRIDES, description: '`agg rollout --enable-user|--disable-user|--clear-user --json`: each user\'s override before and after.' });

const PERCENT = 'agg.rollout.percent/v1';
const summary = z.strictObject({
  flag: z.string(),
  from: z.strictObject({ basisPoints, rolledBack: z.boolean() }).nullable().describe('null when the flag is created'),
  to: basisPoints,
  change: z.enum(['grow', 'shrink', 'same']),
  reenabled: z.boolean(),
  created: z.boolean(),
  knownUsers: count,
  entering: count,
  leaving: count,
  inAfter: count,
  enteringIds: z.array(z.string()).optional(),
  leavingIds: z.array(z.string()).optional(),
});
export const rolloutPercentDocument = z
  .discriminatedUnion('kind', [
    z.strictObject({ schema: z.literal(PERCENT), flag: flagState, kind: z.literal('unchanged') }),
    variant(PERCENT, { kind: z.literal('refused'), summary, refusals: z.array(z.strictObject({ userId: z.string(), reasons: z.array(z.string()) })) }),
    variant(PERCENT, { kind: z.literal('planned'), summary }),
    variant(PERCENT, { kind: z.literal('applied'), summary, event }),
  ])
  .meta({ title: PERCENT, description: '`agg rollout --percent P --json`: who enters and leaves; applied, planned (--plan), refused (--require-validated), or unchanged (`flag` then the flag\'s state).' });
