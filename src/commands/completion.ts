import { Argument, type Command } from '@commander-js/extra-typings';
import { SHELLS, completionScript } from '../cli/completion.js';
import { ExitCode } from '../cli/errors.js';
import { helpFooter } from '../cli/help.js';
import type { CliIo } from '../cli/io.js';

// `agg completion bash|zsh|fish`: prints the shell completion script, generated from this program.

export function registerCompletion(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const command = program
    .command('completion')
    .description("print a shell completion script for agg's commands and options (bash, zsh or fish)")
    .addArgument(new Argument('<shell>', 'the shell the script is for').choices(SHELLS))
    .action((shell) => {
      io.stdout.write(completionScript(program, shell));
      setExit(ExitCode.ok);
    });
  helpFooter(
    command,
    [
      ['agg completion bash > /etc/bash_completion.d/agg', 'bash, for every user'],
      ['source <(agg completion bash)', 'bash, this shell only'],
      ['agg completion zsh > "${fpath[1]}/_agg"', 'zsh (then start a new shell)'],
      ['agg completion fish > ~/.config/fish/completions/agg.fish', 'fish'],
    ],
    ['The script is generated from the commands and options of this agg: regenerate it after upgrading.'],
  );
}
