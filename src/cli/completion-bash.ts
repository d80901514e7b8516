import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { commandSpecs, header, names, quote, valueFunctions, type CommandSpec } from './completion-model.js';

// The bash completion script of `agg completion bash`.

export function bashScript(program: Command): string {
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

${valueFunctions(specs)}

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
