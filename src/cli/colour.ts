import type { CommandIo, OutputStream } from './io.js';

// Colour for what matters (alerts, drift, warnings) on a terminal that wants it: never when
// NO_COLOR is set (https://no-color.org), never on a dumb terminal or into a pipe or file.

export interface Paint {
  readonly bad: (text: string) => string;
  readonly warn: (text: string) => string;
  readonly good: (text: string) => string;
  readonly dim: (text: string) => string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;

export const PLAIN: Paint = { bad: (t) => t, warn: (t) => t, good: (t) => t, dim: (t) => t };
const COLOURED: Paint = { bad: ansi(31, 39), warn: ansi(33, 39), good: ansi(32, 39), dim: ansi(2, 22) };

/** Whether output to this stream may carry colour. */
export function colourWanted(io: Pick<CommandIo, 'env'>, stream: Pick<OutputStream, 'isTTY'>): boolean {
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  if (io.env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function paintFor(io: Pick<CommandIo, 'env'>, stream: Pick<OutputStream, 'isTTY'>): Paint {
  return colourWanted(io, stream) ? COLOURED : PLAIN;
}
