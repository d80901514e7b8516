import { z } from 'zod';
import { aggregationType, anyJson, bytes, count, filters, instant, jsonDocument, millis } from './common.js';

const stored = {
  type: aggregationType,
  version: count.describe('the algorithm version it was computed with'),
  currentVersion: count.describe('the version agg computes now; the app serves only that one'),
  asOf: instant,
  timeZone: z.string(),
  computedAt: instant,
  expiresAt: instant,
  expired: z.boolean(),
  bytes: bytes.describe('size of its canonical JSON'),
  dataHash: z.string(),
};

export const showResultDocument = jsonDocument('agg.show.result/v1', '`agg show USER TYPE --json`: one stored result, its data as stored.', {
  userId: z.string(),
  type: aggregationType,
  filters,
  filterHash: z.string(),
  version: stored.version,
  currentVersion: stored.currentVersion,
  asOf: instant,
  timeZone: z.string(),
  computedAt: instant,
  expiresAt: instant,
  expired: z.boolean(),
  bytes: stored.bytes,
  dataHash: z.string(),
  recordCount: count,
  computeMs: millis,
  data: anyJson.describe('the result as stored (canonical JSON)'),
});

export const showListDocument = jsonDocument('agg.show/v1', '`agg show USER --json`: every stored result of a user.', {
  userId: z.string(),
  records: count,
  filters: filters.nullable().describe('the filter set the list is narrowed to, or null'),
  results: z.array(z.strictObject({ ...stored, filters: filters.nullable().describe('null when agg no longer knows the filter set'), filterHash: z.string() })),
});
