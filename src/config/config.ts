import { join } from 'node:path';
import { z } from 'zod';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { formatDuration } from '../core/duration.js';
import { type EligibilityPolicy, OPEN_POLICY } from '../core/eligibility.js';
import { UsageError } from '../errors.js';
import { parseSmallJson, readSmallTextFile } from '../input/small-json.js';
import { type ArchiveConfig, archiveConfig, archiveSchema } from './archive.js';
import { type CleanupConfig, cleanupConfig, cleanupSchema } from './cleanup.js';
import { DEFAULT_TICK_INTERVAL_MS, DEFAULT_TTL_MS, type Freshness, type TypeFreshness, backfillSchema, defaultMaxAgeMs, defaultRefreshThresholdMs, maxAgeSchema, refreshThresholdSchema, ttlSchema } from './freshness.js';
import { rolloutSchema } from './rollout.js';
import { DEFAULT_STATUS_THRESHOLDS, type StatusThresholds, statusSchema } from './status.js';

// The entry to agg.config.json: the whole file's schema, AggConfig, and loading. Each section's schema,
// shape and defaults live beside it (freshness, cleanup, archive, rollout, status).

export { DEFAULT_AGGREGATION_RETENTION_MS, DEFAULT_ARCHIVE, type ArchiveConfig, type RetentionMs } from './archive.js';
export { DEFAULT_CLEANUP, type CleanupConfig } from './cleanup.js';
export { DEFAULT_TICK_INTERVAL_MS, DEFAULT_TTL_MS, type Freshness, type TypeFreshness } from './freshness.js';
export { DEFAULT_STATUS_THRESHOLDS, type StatusThresholds } from './status.js';

/** `agg.config.json`: every key optional, unknown keys refused so a typo never passes silently. */
export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    ttl: ttlSchema.optional(),
    maxAge: maxAgeSchema.optional(),
    refreshThreshold: refreshThresholdSchema.optional(),
    backfill: backfillSchema.optional(),
    cleanup: cleanupSchema.optional(),
    archive: archiveSchema.optional(),
    rollout: rolloutSchema.optional(),
    status: statusSchema.optional(),
  })
  .strict();

export interface AggConfig {
  /** Where the configuration came from, for messages; null when defaults only. */
  readonly source: string | null;
  readonly ttlMs: Readonly<Record<AggregationType, number>>;
  /** Per type: how long a result lives, its oldest age before a recomputation, and how close to expiry it is renewed. */
  readonly freshness: Freshness;
  readonly cleanup: CleanupConfig;
  readonly archive: ArchiveConfig;
  /** The eligibility policy flags get when they change (the deployment applies it too). */
  readonly eligibility: EligibilityPolicy;
  readonly status: StatusThresholds;
}

export const CONFIG_FILE_NAME = 'agg.config.json';

export function buildConfig(raw: unknown, source: string | null): AggConfig {
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}` : issue.message;
    throw new UsageError(`${source ?? 'config'}: ${path}: ${message}`);
  }
  const ttlMs = { ...DEFAULT_TTL_MS, ...stripUndefined(parsed.data.ttl ?? {}) };
  const byType = {} as Record<AggregationType, TypeFreshness>;
  for (const type of AGGREGATION_TYPES) {
    const ttl = ttlMs[type];
    const maxAgeMs = parsed.data.maxAge?.[type] ?? defaultMaxAgeMs(ttl);
    const refreshThresholdMs = parsed.data.refreshThreshold?.[type] ?? defaultRefreshThresholdMs(ttl);
    if (maxAgeMs < ttl) throw new UsageError(`${source ?? 'config'}: maxAge.${type}: ${formatDuration(maxAgeMs)} is less than its ttl (${formatDuration(ttl)}): a result would be recomputed before it expires`);
    if (refreshThresholdMs >= ttl) throw new UsageError(`${source ?? 'config'}: refreshThreshold.${type}: ${formatDuration(refreshThresholdMs)} is not less than its ttl (${formatDuration(ttl)}): every result would always be due`);
    byType[type] = { ttlMs: ttl, maxAgeMs, refreshThresholdMs };
  }
  return {
    source,
    ttlMs,
    freshness: { byType, tickIntervalMs: parsed.data.backfill?.interval ?? DEFAULT_TICK_INTERVAL_MS },
    cleanup: cleanupConfig(parsed.data.cleanup ?? {}),
    archive: archiveConfig(parsed.data.archive ?? {}),
    eligibility: { ...OPEN_POLICY, ...stripUndefined(parsed.data.rollout?.eligibility ?? {}) },
    status: {
      refreshThresholdMs: parsed.data.status?.refreshThreshold ?? DEFAULT_STATUS_THRESHOLDS.refreshThresholdMs,
      maxBacklogAgeMs: parsed.data.status?.maxBacklogAge ?? null,
      maxExpiredShare: parsed.data.status?.maxExpiredShare ?? 0.01,
      minConsistency: parsed.data.status?.minConsistency ?? null,
      maxValidateAgeMs: parsed.data.status?.maxValidateAge ?? null,
    },
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Reads `agg.config.json` from the given path, or from the working directory when it exists there. */
export async function loadConfig(cwd: string, explicitPath?: string): Promise<AggConfig> {
  const path = explicitPath ?? join(cwd, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readSmallTextFile(path, path, 'config file');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && explicitPath === undefined) return buildConfig({}, null);
    if (code === 'ENOENT') throw new UsageError(`${path}: no such config file`);
    throw new UsageError(`${path}: cannot read the config file (${(error as Error).message})`);
  }
  return buildConfig(parseSmallJson(text, path), path);
}
