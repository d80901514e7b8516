import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { InfrastructureError } from './errors.js';
import type { OutputStream } from './io.js';

// Streams a document to stdout chunk by chunk as the chunks are produced, so that memory holds one
// chunk, not the document. A `write` that returns false (a pipe whose reader is slower than agg) is
// waited out until 'drain'; a reader that goes away (`agg … | head`, EPIPE) ends the stream quietly.

/** Text is handed to the stream in pieces of about this many characters (whole chunks, never split). */
const WRITE_AT = 64 * 1024;

/** How a stream of chunks ended: all written, or the reader closed the pipe first. */
export type StreamOutcome = 'written' | 'closed';

function isClosedPipe(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ECONNRESET';
}

/** Streams that already have our error listener: it is added once and stays (late errors are expected). */
const watched = new WeakMap<NodeJS.EventEmitter, { error: unknown }>();

function watch(raw: NodeJS.EventEmitter): { error: unknown } {
  let state = watched.get(raw);
  if (state === undefined) {
    const created: { error: unknown } = { error: undefined };
    // Without a listener, an EPIPE on process.stdout is an uncaught exception with a stack trace.
    raw.on('error', (error: unknown) => {
      if (created.error === undefined) created.error = error;
    });
    watched.set(raw, created);
    state = created;
  }
  return state;
}

interface RawStream extends NodeJS.EventEmitter {
  readonly destroyed?: boolean;
  readonly writableLength?: number;
  readonly writableNeedDrain?: boolean;
  write?(text: string, callback: (error?: Error | null) => void): boolean;
}

/** Resolves when the stream drains, fails or closes, whichever comes first. */
function settled(raw: RawStream): Promise<void> {
  if (raw.destroyed === true || raw.writableNeedDrain === false) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      raw.off('drain', done);
      raw.off('error', done);
      raw.off('close', done);
      resolve();
    };
    raw.on('drain', done);
    raw.on('error', done);
    raw.on('close', done);
  });
}

/**
 * Writes `chunks` to `out` as they are produced. Each `write` that returns false is followed by a
 * wait for 'drain' on `out.raw`, so at most about one chunk plus the stream's own buffer is held.
 * Between writes the event loop gets a turn, so a signal handler can run (the chunks' producer asks
 * whether to go on). Returns 'closed' when the reader went away (EPIPE): no more chunks are asked for.
 * Other write errors become an InfrastructureError.
 */
export async function streamChunks(out: OutputStream, chunks: Iterable<string>): Promise<StreamOutcome> {
  const raw = out.raw as RawStream | undefined;
  const state = raw === undefined ? { error: undefined } : watch(raw);
  const check = (): StreamOutcome | null => {
    if (state.error !== undefined) {
      if (isClosedPipe(state.error)) return 'closed';
      const message = (state.error as Error).message ?? String(state.error);
      throw new InfrastructureError(`cannot write to stdout (${message})`);
    }
    return raw?.destroyed === true ? 'closed' : null;
  };
  const flush = async (text: string): Promise<StreamOutcome | null> => {
    const ended = check();
    if (ended !== null) return ended;
    let accepted: unknown;
    try {
      accepted = out.write(text);
    } catch (error) {
      if (isClosedPipe(error)) return 'closed';
      throw error;
    }
    // Listening starts at once (in the same tick as the write): 'drain', and the error of a failed
    // write, are emitted on a later tick and cannot be missed.
    if (accepted === false && raw !== undefined) await settled(raw);
    else await yieldToEventLoop();
    return check();
  };

  let pending = '';
  for (const chunk of chunks) {
    if (chunk.length >= WRITE_AT) {
      // A large chunk is written as it is: appending it to the small ones would copy it.
      const ended = (pending === '' ? null : await flush(pending)) ?? (await flush(chunk));
      pending = '';
      if (ended !== null) return ended;
    } else {
      pending += chunk;
      if (pending.length >= WRITE_AT) {
        const ended = await flush(pending);
        pending = '';
        if (ended !== null) return ended;
      }
    }
  }
  if (pending !== '') {
    const ended = await flush(pending);
    if (ended !== null) return ended;
  }
  // What the stream still buffers is written before the command reports success, so an error on it is
  // seen: an empty write's callback runs once everything before it is out (or failed).
  if (raw !== undefined && typeof raw.write === 'function' && (raw.writableLength ?? 0) > 0 && check() === null) {
    const write = raw.write.bind(raw);
    await new Promise<void>((resolve) => {
      try {
        write('', () => resolve());
      } catch {
        resolve();
      }
    });
  }
  return check() ?? 'written';
}
