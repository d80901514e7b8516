import type { Argument, CommandUnknownOpts as Command, Option } from '@commander-js/extra-typings';
import { completionWords } from './help.js';

// The model behind `agg completion bash|zsh|fish`: a completion script generated from the commander program itself
// (its commands, their options and arguments, and the words help.ts attaches to some values), so it
// lists exactly what this agg accepts and never goes stale. Each script finds the command path the
// same way the program parses it: words that are subcommands, skipping the values of options that
// take one (a command's own and its parents', as commander reads parents' options anywhere).

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a value completes to: some words, and files or directories. */
export interface Values {
  readonly words: readonly string[];
  readonly paths: 'files' | 'dirs' | null;
}

export interface OptionSpec {
  readonly long: string | null;
  readonly short: string | null;
  readonly description: string;
  readonly takesValue: boolean;
  readonly values: Values;
}

export interface CommandSpec {
  /** The subcommand words from agg to here: [] for agg itself, ['runs', 'show']. */
  readonly path: readonly string[];
  readonly subcommands: ReadonlyArray<{ readonly name: string; readonly description: string }>;
  /** Offered when a word starts with `-`: the command's own options, and agg's global ones. */
  readonly options: readonly OptionSpec[];
  /** Options whose next word is their value: the command's and its parents'. */
  readonly valueOptions: readonly OptionSpec[];
  /** What each operand completes to; the last repeats when variadic. */
  readonly operands: readonly Values[];
  readonly variadic: boolean;
}

export const NO_VALUES: Values = { words: [], paths: null };

/** Values shown as words in every shell: completion words with spaces (`"YouTube Music"`) are left out. */
export function plainWords(words: readonly string[]): string[] {
  return words.filter((word) => /^[^\s'"\\$`]+$/.test(word));
}

/** Files for `<file>`, `<manifest>`, `<default|file>`; directories for `<dir>`. */
export function pathsOf(placeholder: string): Values['paths'] {
  if (/\bdir\b/.test(placeholder)) return 'dirs';
  if (/\b(file|manifest)\b/.test(placeholder)) return 'files';
  return null;
}

export function optionSpec(option: Option): OptionSpec {
  const takesValue = option.required || option.optional;
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? '';
  return {
    long: option.long ?? null,
    short: option.short ?? null,
    description: option.description,
    takesValue,
    values: takesValue ? { words: plainWords(completionWords(option)), paths: pathsOf(placeholder) } : NO_VALUES,
  };
}

export function argumentValues(argument: Argument): Values {
  return { words: plainWords(completionWords(argument)), paths: pathsOf(argument.name()) };
}

/** The options that take a value, a command's own first: a parent's option of the same name is its own. */
export function valueOptionsOf(options: readonly OptionSpec[]): OptionSpec[] {
  const seen = new Set<string>();
  return options.filter((option) => {
    const key = option.long ?? option.short ?? '';
    if (!option.takesValue || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every command of the program, agg itself first, in help order. */
export function commandSpecs(program: Command): CommandSpec[] {
  const help = program.createHelp();
  const globals = help.visibleOptions(program).map(optionSpec);
  const specs: CommandSpec[] = [];
  const walk = (command: Command, path: string[], inherited: OptionSpec[]): void => {
    const own = help.visibleOptions(command).map(optionSpec);
    const subcommands = help.visibleCommands(command);
    // commander's implicit `help [command]` is not in command.commands: it completes the others' names.
    const isImplicitHelp = (sub: Command) => !command.commands.includes(sub);
    const names = subcommands.filter((sub) => !isImplicitHelp(sub)).map((sub) => sub.name());
    const root = path.length === 0;
    specs.push({
      path,
      subcommands: subcommands.map((sub) => ({ name: sub.name(), description: sub.description() })),
      options: root ? own : [...own, ...globals.filter((option) => option.long !== '--version' && !own.some((o) => o.long === option.long))],
      valueOptions: valueOptionsOf([...own, ...inherited]),
      operands: command.registeredArguments.map(argumentValues),
      variadic: command.registeredArguments.at(-1)?.variadic ?? false,
    });
    for (const sub of subcommands) {
      if (isImplicitHelp(sub)) {
        specs.push({ path: [...path, sub.name()], subcommands: [], options: [], valueOptions: valueOptionsOf([...own, ...inherited]), operands: [{ words: names, paths: null }], variadic: false });
      } else walk(sub, [...path, sub.name()], [...own, ...inherited]);
    }
  };
  walk(program, [], []);
  return specs;
}

export function names(option: OptionSpec): string[] {
  return [option.long, option.short].filter((name): name is string => name !== null);
}

/** A single-quoted word for bash and zsh. */
export function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A single-quoted word for fish (backslash escapes `\` and `'` inside). */
export function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `f:default`: what a value completes to, for the bash and zsh scripts (f files, d directories, - none). */
export function valueSpec(values: Values): string {
  return `${values.paths === 'files' ? 'f' : values.paths === 'dirs' ? 'd' : '-'}:${values.words.join(' ')}`;
}

export function hasValues(values: Values): boolean {
  return values.paths !== null || values.words.length > 0;
}

/** Case arms of the value specs: of each option that takes a value, by path and option name. */
export function optionValueArms(specs: readonly CommandSpec[]): string[] {
  return specs.flatMap((spec) =>
    spec.valueOptions.filter((option) => hasValues(option.values)).flatMap((option) => names(option).map((name) => `    ${quote(`${spec.path.join(' ')} ${name}`)}) REPLY=${quote(valueSpec(option.values))} ;;`)),
  );
}

/** Case arms of the operand specs, by path and operand index (`*` for the repeats of a variadic one). */
export function operandArms(specs: readonly CommandSpec[]): string[] {
  return specs.flatMap((spec) =>
    spec.operands.flatMap((values, index) => {
      if (!hasValues(values)) return [];
      const last = index === spec.operands.length - 1 && spec.variadic;
      const key = `${spec.path.join(' ')}:${index}`;
      return [`    ${quote(key)}${last ? `|${quote(`${spec.path.join(' ')}:`)}*` : ''}) REPLY=${quote(valueSpec(values))} ;;`];
    }),
  );
}

export function header(shell: Shell, version: string, install: readonly string[]): string {
  return [
    `# ${shell} completion for agg ${version}, generated by \`agg completion ${shell}\` from agg's own commands`,
    '# and options (regenerate it after upgrading agg). Install it with one of:',
    ...install.map((line) => `#   ${line}`),
    '',
  ].join('\n');
}

/**
 * The shell functions bash and zsh share (the same POSIX `case` text): what an option's value and an
 * operand complete to, as REPLY=KIND:WORDS (KIND f files, d directories, - neither).
 */
export function valueFunctions(specs: readonly CommandSpec[]): string {
  return `# What a value completes to, as KIND:WORDS (KIND f files, d directories, - neither).
_agg_option_values() {
  REPLY='-:'
  case "$1 $2" in
${optionValueArms(specs).join('\n')}
  esac
}

_agg_operand_values() {
  REPLY='-:'
  case "$1:$2" in
${operandArms(specs).join('\n')}
  esac
}`;
}
