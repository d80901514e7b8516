import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { commandSpecs, fishQuote, hasValues, header, names, type CommandSpec } from './completion-model.js';

// The fish completion script of `agg completion fish`.

export function fishScript(program: Command): string {
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
