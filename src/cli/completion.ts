import type { Argument, Command, Option } from 'commander';
import { completionWords } from './help.js';

// `agg completion bash|zsh|fish`: a completion script generated from the commander program itself
// (its commands, their options and arguments, and the words help.ts attaches to some values), so it
// lists exactly what this agg accepts and never goes stale. Each script finds the command path the
// same way the program parses it: words that are subcommands, skipping the values of options that
// take one (a command's own and its parents', as commander reads parents' options anywhere).

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a value completes to: some words, and files or directories. */
interface Values {
  readonly words: readonly string[];
  readonly paths: 'files' | 'dirs' | null;
}

interface OptionSpec {
  readonly long: string | null;
  readonly short: string | null;
  readonly description: string;
  readonly takesValue: boolean;
  readonly values: Values;
}

interface CommandSpec {
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

const NO_VALUES: Values = { words: [], paths: null };

/** Values shown as words in every shell: completion words with spaces (`"YouTube Music"`) are left out. */
function plainWords(words: readonly string[]): string[] {
  return words.filter((word) => /^[^\s'"\\$`]+$/.test(word));
}

/** Files for `<file>`, `<manifest>`, `<default|file>`; directories for `<dir>`. */
function pathsOf(placeholder: string): Values['paths'] {
  if (/\bdir\b/.test(placeholder)) return 'dirs';
  if (/\b(file|manifest)\b/.test(placeholder)) return 'files';
  return null;
}

function optionSpec(option: Option): OptionSpec {
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

function argumentValues(argument: Argument): Values {
  return { words: plainWords(completionWords(argument)), paths: pathsOf(argument.name()) };
}

/** The options that take a value, a command's own first: a parent's option of the same name is its own. */
function valueOptionsOf(options: readonly OptionSpec[]): OptionSpec[] {
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

function names(option: OptionSpec): string[] {
  return [option.long, option.short].filter((name): name is string => name !== null);
}

/** A single-quoted word for bash and zsh. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A single-quoted word for fish (backslash escapes `\` and `'` inside). */
function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `f:default`: what a value completes to, for the bash and zsh scripts (f files, d directories, - none). */
function valueSpec(values: Values): string {
  return `${values.paths === 'files' ? 'f' : values.paths === 'dirs' ? 'd' : '-'}:${values.words.join(' ')}`;
}

function hasValues(values: Values): boolean {
  return values.paths !== null || values.words.length > 0;
}

/** Case arms of the value specs: of each option that takes a value, by path and option name. */
function optionValueArms(specs: readonly CommandSpec[]): string[] {
  return specs.flatMap((spec) =>
    spec.valueOptions.filter((option) => hasValues(option.values)).flatMap((option) => names(option).map((name) => `    ${quote(`${spec.path.join(' ')} ${name}`)}) REPLY=${quote(valueSpec(option.values))} ;;`)),
  );
}

/** Case arms of the operand specs, by path and operand index (`*` for the repeats of a variadic one). */
function operandArms(specs: readonly CommandSpec[]): string[] {
  return specs.flatMap((spec) =>
    spec.operands.flatMap((values, index) => {
      if (!hasValues(values)) return [];
      const last = index === spec.operands.length - 1 && spec.variadic;
      const key = `${spec.path.join(' ')}:${index}`;
      return [`    ${quote(key)}${last ? `|${quote(`${spec.path.join(' ')}:`)}*` : ''}) REPLY=${quote(valueSpec(values))} ;;`];
    }),
  );
}

function header(shell: Shell, version: string, install: readonly string[]): string {
  return [
    `# ${shell} completion for agg ${version}, generated by \`agg completion ${shell}\` from agg's own commands`,
    '# and options (regenerate it after upgrading agg). Install it with one of:',
    ...install.map((line) => `#   ${line}`),
    '',
  ].join('\n');
}

function bashScript(program: Command): string {
  const specs = commandSpecs(program);
  const arm = (spec: CommandSpec, words: readonly string[]) => `    ${quote(spec.path.join(' '))}) REPLY=${quote(words.join(' '))} ;;`;
  return `${header('bash', program.version() ?? '', ['agg completion bash > /etc/bash_completion.d/agg', 'agg completion bash > ~/.local/share/bash-completion/completions/agg', 'source <(agg completion bash)        # this shell only'])}
# Each helper sets REPLY: for a command path ('' is agg itself, 'runs show' a subcommand's subcommand).
_agg_commands() {
  REPLY=''
  case "$1" in
${specs.filter((spec) => spec.subcommands.length > 0).map((spec) => arm(spec, spec.subcommands.map((sub) => sub.name))).join('\n')}
  esac
}

_agg_options() {
  REPLY=''
  case "$1" in
${specs.filter((spec) => spec.options.length > 0).map((spec) => arm(spec, spec.options.flatMap(names))).join('\n')}
  esac
}

# Options whose value is the next word.
_agg_value_options() {
  REPLY=''
  case "$1" in
${specs.filter((spec) => spec.valueOptions.length > 0).map((spec) => arm(spec, spec.valueOptions.flatMap(names))).join('\n')}
  esac
}

# What a value completes to, as KIND:WORDS (KIND f files, d directories, - neither).
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
}

_agg_reply() {
  local kind=\${1%%:*} words=\${1#*:} cur=$2 line
  COMPREPLY=()
  while IFS= read -r line; do
    [[ -n $line ]] && COMPREPLY+=("$line")
  done < <(compgen -W "$words" -- "$cur")
  if [[ $kind == f || $kind == d ]]; then
    compopt -o filenames 2>/dev/null
    while IFS= read -r line; do
      [[ -n $line ]] && COMPREPLY+=("$line")
    done < <(compgen "-$kind" -- "$cur")
  fi
  return 0
}

_agg() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmdpath='' word value_of='' skip='' rest='' operands=0 i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    # --option=value: bash splits it at the = (COMP_WORDBREAKS).
    if [[ $word == = && -n $value_of ]]; then skip=1; continue; fi
    if [[ -n $skip ]]; then skip=''; value_of=''; continue; fi
    value_of=''
    if [[ -z $rest && $word == -- ]]; then rest=1; continue; fi
    if [[ -z $rest && $word == -?* ]]; then
      _agg_value_options "$cmdpath"
      if [[ $word != *=* && " $REPLY " == *" $word "* ]]; then skip=1; value_of=$word; fi
      continue
    fi
    _agg_commands "$cmdpath"
    if [[ $operands == 0 && -z $rest && -n $word && " $REPLY " == *" $word "* ]]; then
      cmdpath=\${cmdpath:+$cmdpath }$word
    else
      operands=$((operands + 1))
    fi
  done
  if [[ -n $skip ]]; then
    [[ $cur == = ]] && cur=''
    _agg_option_values "$cmdpath" "$value_of"
    _agg_reply "$REPLY" "$cur"
  elif [[ -z $rest && $cur == -* ]]; then
    _agg_options "$cmdpath"
    _agg_reply "-:$REPLY" "$cur"
  else
    _agg_operand_values "$cmdpath" "$operands"
    local spec=$REPLY
    if [[ $operands == 0 && -z $rest ]]; then
      _agg_commands "$cmdpath"
      spec="$spec $REPLY"
    fi
    _agg_reply "$spec" "$cur"
  fi
}

complete -F _agg agg
`;
}

function zshScript(program: Command): string {
  const specs = commandSpecs(program);
  const described = (name: string, description: string) => quote(`${name.replace(/:/g, '\\:')}:${description}`);
  const listArm = (spec: CommandSpec, entries: readonly string[]) => `    ${quote(spec.path.join(' '))}) reply=(${entries.join(' ')}) ;;`;
  return `#compdef agg
${header('zsh', program.version() ?? '', ['agg completion zsh > "\${fpath[1]}/_agg"    # then start a new shell', 'source <(agg completion zsh)             # this shell only (after compinit)'])}
# Each helper sets reply (name:description entries) or REPLY, for a command path ('' is agg itself).
_agg_commands() {
  reply=()
  case "$1" in
${specs.filter((spec) => spec.subcommands.length > 0).map((spec) => listArm(spec, spec.subcommands.map((sub) => described(sub.name, sub.description)))).join('\n')}
  esac
}

_agg_options() {
  reply=()
  case "$1" in
${specs.filter((spec) => spec.options.length > 0).map((spec) => listArm(spec, spec.options.flatMap((option) => names(option).map((name) => described(name, option.description))))).join('\n')}
  esac
}

# Options whose value is the next word.
_agg_value_options() {
  reply=()
  case "$1" in
${specs.filter((spec) => spec.valueOptions.length > 0).map((spec) => listArm(spec, spec.valueOptions.flatMap(names).map(quote))).join('\n')}
  esac
}

# What a value completes to, as KIND:WORDS (KIND f files, d directories, - neither).
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
}

_agg_reply() {
  local kind=\${1%%:*} list=\${1#*:}
  local -a values
  values=(\${=list})
  (( \${#values} )) && compadd -- $values
  case $kind in
    f) _files ;;
    d) _files -/ ;;
  esac
  return 0
}

_agg() {
  local cmdpath='' word value_of='' skip='' rest='' spec
  local -a reply
  integer operands=0 i
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ -n $skip ]]; then skip=''; continue; fi
    value_of=''
    if [[ -z $rest && $word == -- ]]; then rest=1; continue; fi
    if [[ -z $rest && $word == -?* ]]; then
      _agg_value_options "$cmdpath"
      if [[ $word != *=* && \${reply[(Ie)$word]} -gt 0 ]]; then skip=1; value_of=$word; fi
      continue
    fi
    _agg_commands "$cmdpath"
    reply=(\${reply%%:*})
    if (( operands == 0 )) && [[ -z $rest && -n $word && \${reply[(Ie)$word]} -gt 0 ]]; then
      cmdpath=\${cmdpath:+$cmdpath }$word
    else
      (( operands += 1 ))
    fi
  done
  if [[ -n $skip ]]; then
    _agg_option_values "$cmdpath" "$value_of"
    _agg_reply "$REPLY"
  elif [[ -z $rest && $PREFIX == -* ]]; then
    _agg_options "$cmdpath"
    _describe -t options 'option' reply
  else
    _agg_operand_values "$cmdpath" "$operands"
    spec=$REPLY
    if (( operands == 0 )) && [[ -z $rest ]]; then
      _agg_commands "$cmdpath"
      (( \${#reply} )) && _describe -t commands 'command' reply
    fi
    _agg_reply "$spec"
  fi
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  _agg "$@"
else
  compdef _agg agg
fi
`;
}

function fishScript(program: Command): string {
  const specs = commandSpecs(program);
  const switchArm = (spec: CommandSpec, words: readonly string[]) => `        case ${fishQuote(spec.path.join(' '))}\n            printf '%s\\n' ${words.map(fishQuote).join(' ')}`;
  const lines: string[] = [];
  for (const spec of specs) {
    const at = fishQuote(`__agg_at ${spec.path.join(' ')}`.trim());
    for (const sub of spec.subcommands) {
      lines.push(`complete -c agg -n ${fishQuote(`__agg_operand ${spec.path.length === 0 ? "''" : spec.path.join(' ')} 0`)} -a ${fishQuote(sub.name)} -d ${fishQuote(sub.description)}`);
    }
    for (const option of spec.options) {
      const flags = [option.long && `-l ${option.long.slice(2)}`, option.short && `-s ${option.short.slice(1)}`].filter(Boolean).join(' ');
      const { words, paths } = option.values;
      const value = !option.takesValue ? '' : paths === 'files' ? ' -r -F' : paths === 'dirs' ? ` -x -a ${fishQuote('(__fish_complete_directories)')}` : ' -x';
      const offered = words.length > 0 ? ` -a ${fishQuote(words.join(' '))}` : '';
      lines.push(`complete -c agg -n ${at} ${flags}${value}${offered} -d ${fishQuote(option.description)}`);
    }
    spec.operands.forEach((values, index) => {
      if (!hasValues(values)) return;
      const last = index === spec.operands.length - 1 && spec.variadic;
      const condition = fishQuote(`__agg_operand ${spec.path.length === 0 ? "''" : spec.path.join(' ')} ${index}${last ? ' +' : ''}`);
      const files = values.paths === 'files' ? ' -F' : values.paths === 'dirs' ? ` -a ${fishQuote('(__fish_complete_directories)')}` : '';
      const offered = values.words.length > 0 ? ` -a ${fishQuote(values.words.join(' '))}` : '';
      lines.push(`complete -c agg -n ${condition}${files}${offered}`);
    });
  }
  return `${header('fish', program.version() ?? '', ['agg completion fish > ~/.config/fish/completions/agg.fish', 'agg completion fish | source         # this shell only'])}
function __agg_commands
    switch "$argv"
${specs.filter((spec) => spec.subcommands.length > 0).map((spec) => switchArm(spec, spec.subcommands.map((sub) => sub.name))).join('\n')}
    end
end

# Options whose value is the next word.
function __agg_value_options
    switch "$argv"
${specs.filter((spec) => spec.valueOptions.length > 0).map((spec) => switchArm(spec, spec.valueOptions.flatMap(names))).join('\n')}
    end
end

# The command path typed so far (words that are subcommands), a tab, and how many operands follow it.
function __agg_state
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmdpath
    set -l skip 0
    set -l rest 0
    set -l operands 0
    for word in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        if test $rest = 0; and test "$word" = --
            set rest 1
            continue
        end
        if test $rest = 0; and string match -q -- '-?*' $word
            if not string match -q -- '*=*' $word; and contains -- $word (__agg_value_options $cmdpath)
                set skip 1
            end
            continue
        end
        if test $operands = 0; and test $rest = 0; and contains -- $word (__agg_commands $cmdpath)
            set -a cmdpath $word
        else
            set operands (math $operands + 1)
        end
    end
    printf '%s\\t%s\\n' "$cmdpath" $operands
end

# True at this command path: __agg_at runs show
function __agg_at
    set -l state (__agg_state | string split \\t)
    test "$state[1]" = "$argv"
end

# True at operand N of a command path (N + : at N or after): __agg_operand show 1
function __agg_operand
    set -l state (__agg_state | string split \\t)
    set -l want $argv[1..-2]
    set -l index $argv[-1]
    if test "$index" = +
        set want $argv[1..-3]
        set index $argv[-2]
        test "$state[1]" = "$want"; and test $state[2] -ge $index
    else
        test "$state[1]" = "$want"; and test $state[2] -eq $index
    end
end

complete -c agg -f
${lines.join('\n')}
`;
}

/** The completion script for `shell`, from `program` (agg's root command). */
export function completionScript(program: Command, shell: Shell): string {
  switch (shell) {
    case 'bash':
      return bashScript(program);
    case 'zsh':
      return zshScript(program);
    case 'fish':
      return fishScript(program);
  }
}
