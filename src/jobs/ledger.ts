import type { JsonValue } from '../core/json.js';
import { formatIsoInstant } from '../core/time/iso.js';
import type { RunRecord, RunStatus } from '../store/types.js';
import type { Store } from '../store/store.js';
import type { Checkpoint } from './checkpoint.js';

/** What a run stores in its checkpoint column: the job's spec (to resume it) and its progress. */
export interface LedgerCheckpoint {
  readonly spec: JsonValue;
  readonly progress: Checkpoint;
}

/**
 * The run's row in the ledger. Saves are serialized and coalesced: at most one write in flight, and a
 * caller awaiting `save` knows its state (or a later one) is stored.
 */
export class RunLedger {
  private record: RunRecord;
  private inFlight: Promise<void> | null = null;
  private pending = false;
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  private constructor(
    private readonly store: Store,
    record: RunRecord,
    private readonly now: () => number,
  ) {
    this.record = record;
  }

  static async start(
    store: Store,
    fields: { runId: string; command: string; args: readonly string[]; target: string; spec: JsonValue; progress: Checkpoint },
    now: () => number,
  ): Promise<RunLedger> {
    const at = formatIsoInstant(now());
    const ledger = new RunLedger(
      store,
      {
        runId: fields.runId,
        command: fields.command,
        args: [...fields.args],
        target: fields.target,
        startedAt: at,
        finishedAt: null,
        status: 'running',
        counts: {},
        checkpoint: { spec: fields.spec, progress: fields.progress } as unknown as JsonValue,
        heartbeatAt: at,
      },
      now,
    );
    await store.putRun(ledger.record);
    return ledger;
  }

  /** Continues an earlier run under the same id: status back to running, counts carried on. */
  static async resume(store: Store, run: RunRecord, now: () => number): Promise<RunLedger> {
    const at = formatIsoInstant(now());
    const ledger = new RunLedger(store, { ...run, status: 'running', finishedAt: null, heartbeatAt: at }, now);
    await store.putRun(ledger.record);
    return ledger;
  }

  get runId(): string {
    return this.record.runId;
  }

  get counts(): Readonly<Record<string, number>> {
    return this.record.counts;
  }

  get checkpoint(): LedgerCheckpoint {
    return this.record.checkpoint as unknown as LedgerCheckpoint;
  }

  update(counts: Record<string, number>, progress: Checkpoint): Promise<void> {
    this.record = {
      ...this.record,
      counts: { ...counts },
      checkpoint: { spec: this.checkpoint.spec, progress } as unknown as JsonValue,
      heartbeatAt: formatIsoInstant(this.now()),
    };
    return this.save();
  }

  /** The final state in one write: status, counts and the last checkpoint. */
  async finish(status: RunStatus, counts: Record<string, number>, progress: Checkpoint): Promise<void> {
    const at = formatIsoInstant(this.now());
    this.record = {
      ...this.record,
      status,
      finishedAt: status === 'running' ? null : at,
      heartbeatAt: at,
      counts: { ...counts },
      checkpoint: { spec: this.checkpoint.spec, progress } as unknown as JsonValue,
    };
    await this.save();
  }

  private save(): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.inFlight) {
      this.pending = true;
    } else {
      this.flush();
    }
    return done;
  }

  private flush(): void {
    const waiters = this.waiters;
    this.waiters = [];
    this.pending = false;
    this.inFlight = this.store.putRun(this.record).then(
      () => {
        for (const waiter of waiters) waiter.resolve();
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = null;
      if (this.pending) this.flush();
    });
  }
}
