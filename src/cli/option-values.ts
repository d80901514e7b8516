import type { EventEmitter } from 'node:events';
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { UsageError } from './errors.js';

// Commander gives an option that needs a value whatever argument follows it, so `agg backfill --user
// --all` would back up a user called "--all", and `agg import f --user --dry-run` would write records
// for a user "--dry-run". Every value option of every command is checked here, in one place: a value
// that is spelled like an option is refused. Negative numbers (-5, -1.5, -5m) still reach the option's
// own parser, which says what range it takes.

/** `--all`, `--`, `-h`: spelled like an option. `-5`, `-5m`, `-` are not. */
export function looksLikeOption(value: string): boolean {
  return value.startsWith('--') || /^-[A-Za-z]/.test(value);
}

/** Refuses option-like values for every option that takes one, on the program and all its commands. */
export function refuseOptionsAsValues(program: Command): void {
  const commands: Command[] = [program];
  for (let i = 0; i < commands.length; i++) commands.push(...commands[i]!.commands);
  for (const command of commands) {
    for (const option of command.options) {
      if (!option.required && !option.optional) continue;
      // Commander is an EventEmitter (its types say less): this runs before the value is stored.
      (command as unknown as EventEmitter).prependListener(`option:${option.name()}`, (value: unknown) => {
        if (typeof value === 'string' && looksLikeOption(value)) {
          throw new UsageError(`${option.long ?? option.short} needs a value; got the option ${value}`);
        }
      });
    }
  }
}
