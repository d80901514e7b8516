import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { globalOptions } from './global-options.js';
import { DEFAULT_MAX_INPUT_BYTES, MAX_INPUT_BYTES_CEILING } from '../input/bounded-read.js';
import { numberError } from '../text/numbers.js';
import { formatSize, readSize } from '../text/sizes.js';

/**
 * The largest input file (records file, Takeout export) a command reads: --max-input-size, else
 * AGG_MAX_INPUT_BYTES, else 1 GiB. Either is a size ("4GiB", "500MB") or a number of bytes.
 */
export function maxInputBytes(command: Command, env: Readonly<Record<string, string | undefined>>): number {
  const option = globalOptions(command).maxInputSize;
  if (option !== undefined) return parseInputLimit('--max-input-size', option);
  const variable = env.AGG_MAX_INPUT_BYTES;
  if (variable !== undefined && variable !== '') return parseInputLimit('AGG_MAX_INPUT_BYTES', variable);
  return DEFAULT_MAX_INPUT_BYTES;
}

function parseInputLimit(source: string, text: string): number {
  const bytes = readSize(text, { min: 1, max: MAX_INPUT_BYTES_CEILING });
  if (bytes === null) throw numberError(source, text, `a size from 1 B to ${formatSize(MAX_INPUT_BYTES_CEILING)} (e.g. 4GiB, 500MB, or a number of bytes)`);
  return bytes;
}
