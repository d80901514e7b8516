import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { commandSpecs, header, names, quote, valueFunctions, type CommandSpec } from './completion-model.js';

// The zsh completion script of `agg completion zsh`.

export function zshScript(program: Command): string {
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

${valueFunctions(specs)}

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
