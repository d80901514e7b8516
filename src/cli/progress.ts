import ora, { type Ora, spinners } from 'ora';
import { truncate } from './plain-table.js';
import type { CommandIo } from './io.js';
import { formatDuration } from './format.js';
import { colourWanted } from './colour.js';

export interface ProgressState {
  readonly done: number;
  /** Unknown totals print without a percentage or ETA. */
  readonly total: number | null;
  readonly unit: string;
  /** A second measure, e.g. records processed. */
  readonly detail?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  /** Where the work in progress is, shown after the counts until the next progress or working. */
  working(on: string): void;
  /** A line of its own on stderr, above a spinner rather than through it. */
  note(line: string): void;
  /** Ends the display; the final line (if any) goes to stderr. */
  stop(finalLine?: string): void;
}

const PLAIN_INTERVAL_MS = 5_000;
/** How often a terminal's progress line is redrawn (twice a second at least). */
const TTY_REFRESH_MS = 250;

/** Rate and ETA from the start of the work; null until there is something to extrapolate from. */
export function describeProgress(state: ProgressState, elapsedMs: number): string {
  const parts = [`${state.done.toLocaleString('en-US')}${state.total === null ? '' : `/${state.total.toLocaleString('en-US')}`} ${state.unit}`];
  if (state.total !== null && state.total > 0) parts[0] += ` (${Math.floor((state.done / state.total) * 100)}%)`;
  if (state.detail) parts.push(state.detail);
  if (elapsedMs > 0 && state.done > 0) {
    const perSecond = state.done / (elapsedMs / 1000);
    parts.push(`${perSecond >= 10 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1)} ${state.unit}/s`);
    if (state.total !== null && state.done < state.total) parts.push(`ETA ${formatDuration(((state.total - state.done) / perSecond) * 1000)}`);
  }
  return parts.join(', ');
}

/**
 * On a terminal, an ora spinner; otherwise (CI) one plain line every few seconds. Always on stderr, so
 * stdout stays clean for --json; `quiet` turns it off.
 */
export function startProgress(io: CommandIo, label: string, options: { quiet?: boolean } = {}): Progress {
  if (options.quiet) return { update: () => undefined, working: () => undefined, note: (line) => io.stderr.write(`${line}\n`), stop: () => undefined };
  const started = io.now();
  const raw = io.stderr.raw;
  // A terminal that reports no width (a bare pseudo-terminal) or says it is dumb cannot hold a redrawn
  // line: plain lines. The decision is ours, not ora's: ora would also go silent whenever CI is set.
  if (io.stderr.isTTY && raw && (raw.columns ?? 0) > 0 && io.env.TERM !== 'dumb') {
    // The frames carry their own colour: ora's would follow chalk, which turns colour off whenever CI
    // is set, and agg's rule (colour.ts) is the one every other line follows.
    const frames = colourWanted(io, io.stderr) ? spinners.dots.frames.map((frame) => `\u001b[36m${frame}\u001b[39m`) : spinners.dots.frames;
    const spinner: Ora = ora({ text: label, stream: raw, discardStdin: false, isEnabled: true, color: false, spinner: { interval: spinners.dots.interval, frames } }).start();
    let shown: ProgressState | null = null;
    let on: string | null = null;
    const render = (): void => {
      if (shown === null && on === null) return;
      // One line: a wrapped spinner line is redrawn below itself at every frame. What gives way first
      // is the work in progress, then the second measure; counts, rate and ETA stay.
      const width = Math.max(20, (raw.columns ?? 80) - 3);
      const elapsed = io.now() - started;
      const { detail: _detail, ...bare } = shown ?? { done: 0, total: null, unit: '' };
      const candidates = [
        [shown ? describeProgress(shown, elapsed) : null, on],
        [shown ? describeProgress(shown, elapsed) : on],
        [shown ? describeProgress(bare, elapsed) : on],
      ].map((parts) => `${label}: ${parts.filter((part) => part !== null).join(', ')}`);
      spinner.text = truncate(candidates.find((text) => text.length <= width) ?? candidates.at(-1)!, width);
    };
    // Rate and ETA move with the clock, not only when a unit of work ends (a heavy user takes long).
    const refresh = setInterval(render, TTY_REFRESH_MS);
    refresh.unref();
    return {
      update: (state) => {
        shown = state;
        on = null;
        render();
      },
      working: (text) => {
        on = text;
        render();
      },
      note: (line) => {
        spinner.clear();
        io.stderr.write(`${line}\n`);
        spinner.render();
      },
      stop: (finalLine) => {
        clearInterval(refresh);
        spinner.stop();
        if (finalLine) io.stderr.write(`${finalLine}\n`);
      },
    };
  }
  let lastPrinted = started;
  // The wall clock of the last line: the cadence holds while one unit of work takes long, too.
  let lastPrintedWall = Date.now();
  let last: ProgressState | null = null;
  const print = (state: ProgressState): void => {
    lastPrinted = io.now();
    lastPrintedWall = Date.now();
    io.stderr.write(`${label}: ${describeProgress(state, lastPrinted - started)}\n`);
  };
  const cadence = setInterval(() => {
    if (last && Date.now() - lastPrintedWall >= PLAIN_INTERVAL_MS) print(last);
  }, PLAIN_INTERVAL_MS);
  cadence.unref();
  return {
    update: (state) => {
      last = state;
      if (io.now() - lastPrinted >= PLAIN_INTERVAL_MS) print(state);
    },
    // Plain lines keep their cadence: the work in progress shows only in counts.
    working: () => undefined,
    note: (line) => io.stderr.write(`${line}\n`),
    stop: (finalLine) => {
      clearInterval(cadence);
      if (finalLine) io.stderr.write(`${finalLine}\n`);
      else if (last) io.stderr.write(`${label}: ${describeProgress(last, io.now() - started)}\n`);
    },
  };
}
