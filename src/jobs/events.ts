// What a long job tells whoever runs it, as events: the CLI renders them (src/cli/job-events.ts), a
// test or another shell can listen otherwise. Jobs never write to a terminal themselves.

export type JobEvent =
  /** The job began working on `total` items (after its lease and its user list). */
  | { readonly kind: 'started'; readonly label: string }
  /** An item settled: `done` of `total` (null: not known ahead) in this run, with an optional second measure. */
  | { readonly kind: 'progress'; readonly done: number; readonly total: number | null; readonly unit: string; readonly detail?: string }
  /** Where an item in progress is (a heavy user's results so far): shown beside the progress, replaced by the next. */
  | { readonly kind: 'working'; readonly on: string }
  /** A dead holder's lease was taken over: one line saying whose and why. */
  | { readonly kind: 'notice'; readonly message: string }
  /** The job stopped (whatever the outcome); renderers clean up. */
  | { readonly kind: 'finished' };

/** The clock, the stop signal and the event sink every long job runs with. */
export interface JobContext {
  readonly now: () => number;
  readonly signal?: AbortSignal;
  emit(event: JobEvent): void;
}
