import { type Argument, type CommandUnknownOpts as Command, type HelpConfiguration, Option, type OutputConfiguration } from '@commander-js/extra-typings';
import type { CliIo, OutputStream } from './io.js';

// How agg's --help reads: at most 80 columns, every default shown once and plainly (`(default: 4)`,
// never `(default: "4")` or `(default: [])`), required options marked, and an Examples block at the
// end of every command's help. The completion scripts (completion.ts) read the same definitions.

/** Help never runs wider than this, whatever the terminal: it is read in 80-column terminals and CI logs. */
export const HELP_WIDTH = 80;

/** The width help wraps at: the terminal's (or $COLUMNS) when narrower than 80, else 80. */
export function helpWidth(stream: OutputStream, env: CliIo['env']): number {
  const terminal = stream.isTTY === true ? stream.raw?.columns : undefined;
  const columns = terminal ?? Number.parseInt(env.COLUMNS ?? '', 10);
  return Number.isInteger(columns) && columns > 0 ? Math.min(columns, HELP_WIDTH) : HELP_WIDTH;
}

/** The output hooks that size help: the stream it goes to, capped at 80 columns. */
export function helpWidths(io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>): Pick<OutputConfiguration, 'getOutHelpWidth' | 'getErrHelpWidth'> {
  return { getOutHelpWidth: () => helpWidth(io.stdout, io.env), getErrHelpWidth: () => helpWidth(io.stderr, io.env) };
}

/** A default as help shows it: a string as it is typed, a list as its items, nothing for an empty list. */
function shownValue(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map((item) => shownValue(item) ?? '').join(', ');
  return JSON.stringify(value);
}

/**
 * The `(…)` after an option's or argument's description: required, choices, default. A default is its
 * description when it has one (`.default(value, 'text')`, also with no value: one computed at run time
 * or read from agg.config.json), else the value itself; an empty description hides it.
 */
function extras(item: Option | Argument, required: boolean, showValue: boolean): string {
  const parts: string[] = [];
  if (required) parts.push('required');
  if (item.argChoices) parts.push(`choices: ${item.argChoices.join(', ')}`);
  const shown = item.defaultValueDescription !== undefined ? item.defaultValueDescription || null : showValue ? shownValue(item.defaultValue) : null;
  if (shown !== null) parts.push(`default: ${shown}`);
  if (item instanceof Option && item.envVar !== undefined) parts.push(`env: ${item.envVar}`);
  return parts.length === 0 ? item.description : `${item.description ? `${item.description} ` : ''}(${parts.join(', ')})`;
}

export const HELP_CONFIGURATION: HelpConfiguration = {
  // Commander stops wrapping when less than 40 columns are left for descriptions: a narrow terminal
  // (60 columns, help's longest flags taking 25) still gets them wrapped.
  minWidthToWrap: 20,
  // Commander shows a boolean option's `false`/`true` default and a negated option's default: noise
  // for a reader, as before, so only options with a value show theirs.
  optionDescription: (option: Option) => extras(option, option.mandatory, option.required || option.optional),
  argumentDescription: (argument: Argument) => extras(argument, false, true),
};

/** A value hint for the completion scripts: the words an option's value (or an argument) may be. */
const VALUE_WORDS = new WeakMap<Option | Argument, readonly string[]>();

export function completionWords(item: Option | Argument): readonly string[] {
  return VALUE_WORDS.get(item) ?? item.argChoices ?? [];
}

/** Offers these words when completing the value, without refusing others (the command checks it). */
export function suggests<T extends Option | Argument>(item: T, words: readonly string[]): T {
  VALUE_WORDS.set(item, words);
  return item;
}

export interface OptionSettings<V = undefined> {
  /** The value commander gives the option when it is not given (kept as the command expects it). */
  readonly value?: V;
  /** How help shows the default; '' shows none. Without it: the value, as typed. */
  readonly shown?: string;
  /** Words the completion scripts offer for the value. */
  readonly words?: readonly string[];
}

/** An option with its default as help should show it (`.default(value, shown)`), and completion words. */
export function option<Flags extends string, V = undefined>(flags: Flags, description: string, settings: OptionSettings<V> = {}): Option<Flags, undefined, V> {
  const option = new Option(flags, description);
  if (settings.value !== undefined || settings.shown !== undefined) option.default(settings.value, settings.shown);
  // The default set above is the option's value type's default: extra-typings cannot see through the branch.
  const typed = option as unknown as Option<Flags, undefined, V>;
  return settings.words ? suggests(typed, settings.words) : typed;
}

/** A repeatable option (`--type a --type b`): a list, [] when not given; help shows `shown`, or no default. */
export function repeatable<Flags extends string>(flags: Flags, description: string, settings: { readonly shown?: string; readonly words?: readonly string[] } = {}) {
  return option(flags, description, { value: [] as string[], shown: settings.shown ?? '', ...(settings.words ? { words: settings.words } : {}) }).argParser(
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/** The one wording of a default that agg.config.json can change: `30d, or cleanup.changeLog in agg.config.json`. */
export function configDefault(value: string, key: string): string {
  return `${value}, or ${key} in agg.config.json`;
}

/** The one wording of a default that the environment can change: `1GiB, or AGG_MAX_INPUT_BYTES in the environment`. */
export function environmentDefault(value: string, variable: string): string {
  return `${value}, or ${variable} in the environment`;
}

/** An example: a command line, and optionally what it does (printed as a `#` comment). */
export type Example = string | readonly [line: string, comment: string];

/** Wraps prose at `width` columns, keeping its line breaks; words longer than a line stay whole. */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => {
      const indent = /^\s*/.exec(line)![0];
      const lines: string[] = [];
      let current = '';
      for (const word of line.trim().split(/\s+/).filter(Boolean)) {
        if (current !== '' && indent.length + current.length + 1 + word.length > width) {
          lines.push(indent + current);
          current = word;
        } else current = current === '' ? word : `${current} ${word}`;
      }
      lines.push(indent + current);
      return lines.join('\n');
    })
    .join('\n');
}

/** The Examples block: comments aligned after the commands when they all fit in 80 columns, else each above its command. */
export function formatExamples(examples: readonly Example[]): string {
  const lines = examples.map((example) => (typeof example === 'string' ? ([example, ''] as const) : example));
  const commented = lines.filter(([, comment]) => comment !== '');
  const column = Math.max(0, ...commented.map(([line]) => line.length)) + 2;
  const aligned = commented.every(([, comment]) => 2 + column + 2 + comment.length <= HELP_WIDTH);
  const body = lines.map(([line, comment]) => (comment === '' ? `  ${line}` : aligned ? `  ${line.padEnd(column)}# ${comment}` : `  # ${comment}\n  ${line}`));
  return `Examples:\n${body.join('\n')}`;
}

/**
 * Ends a command's help with its notes (prose, wrapped to the help's width) and its Examples block.
 * Every command's help ends so; test/cli/help.test.ts parses every example line against the program.
 */
export function helpFooter<T extends Command>(command: T, examples: readonly Example[], notes: readonly string[] = []): T {
  return command.addHelpText('after', (context) => {
    const output = command.configureOutput();
    const width = (context.error ? output.getErrHelpWidth : output.getOutHelpWidth)?.() ?? HELP_WIDTH;
    const prose = notes.map((note) => `${wrapText(note, Math.min(width, HELP_WIDTH))}\n`).join('');
    return `\n${prose}${prose ? '\n' : ''}${formatExamples(examples)}`;
  });
}
