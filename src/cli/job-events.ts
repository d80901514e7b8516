import type { JobContext, JobEvent } from '../jobs/events.js';
import type { CommandIo } from './io.js';
import { type Progress, startProgress } from './progress.js';

/** A job's context for a command: its events become the progress display and notices on stderr. */
export function jobContextFor(io: CommandIo, options: { quiet: boolean }): JobContext {
  let progress: Progress | null = null;
  const emit = (event: JobEvent): void => {
    switch (event.kind) {
      case 'started':
        progress?.stop(undefined);
        progress = startProgress(io, event.label, { quiet: options.quiet });
        break;
      case 'progress':
        progress?.update({ done: event.done, total: event.total, unit: event.unit, ...(event.detail !== undefined ? { detail: event.detail } : {}) });
        break;
      case 'working':
        progress?.working(event.on);
        break;
      case 'notice':
        if (progress) progress.note(`agg: ${event.message}`);
        else io.stderr.write(`agg: ${event.message}\n`);
        break;
      case 'finished':
        progress?.stop(undefined);
        progress = null;
        break;
    }
  };
  return { now: io.now, ...(io.signal ? { signal: io.signal } : {}), emit };
}
