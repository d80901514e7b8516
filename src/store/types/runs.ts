import { z } from 'zod';
import { type JsonValue, isPlainJson } from '../../core/json.js';

// The run ledger and the leases runs hold.

export const RUN_STATUSES = ['running', 'succeeded', 'failed', 'partial', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A row of the run ledger (`agg_runs`). */
export interface RunRecord {
  readonly runId: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly target: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: RunStatus;
  readonly counts: Readonly<Record<string, number>>;
  readonly checkpoint: JsonValue;
  /** Last sign of life, so a crashed run can be told from a running one. */
  readonly heartbeatAt: string;
}

/**
 * The one schema of a run-ledger row, wherever one is read back: a deployment's answer, an archive's
 * line. (The component's validator, `runFields`, is checked against it by a test.)
 */
export const runRecordSchema = z.object({
  runId: z.string().min(1),
  command: z.string(),
  args: z.array(z.string()),
  target: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  counts: z.record(z.string(), z.number()),
  checkpoint: z.custom<JsonValue>((value) => isPlainJson(value), 'expected plain JSON'),
  heartbeatAt: z.string(),
});

export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly runId: string | null;
  readonly acquiredAt: string;
  readonly expiresAt: string;
  /** The holder's last renewal (its heartbeat); null in rows written before agg recorded it. */
  readonly renewedAt: string | null;
  /** Where the holder runs (os.hostname()) and its process id, so that a dead holder can be told at once; null in older rows. */
  readonly host: string | null;
  readonly pid: number | null;
}

export interface LeaseRequest {
  readonly name: string;
  readonly holder: string;
  readonly runId: string | null;
  readonly now: string;
  readonly ttlMs: number;
  /** Take the lease from a live holder too. */
  readonly force?: boolean;
  /** Also take the lease if exactly this holder has it (one the caller found dead); never any other live holder. */
  readonly takeOverFrom?: string;
  readonly host?: string | null;
  readonly pid?: number | null;
}

export type LeaseOutcome =
  | {
      readonly acquired: true;
      readonly lease: Lease;
      /** The other holder's row this call replaced (expired, dead, forced), if any. */
      readonly replaced: Lease | null;
    }
  | { readonly acquired: false; readonly heldBy: Lease };
