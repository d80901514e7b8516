import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { bashScript } from './completion-bash.js';
import { fishScript } from './completion-fish.js';
import type { Shell } from './completion-model.js';
import { zshScript } from './completion-zsh.js';

export { SHELLS, type Shell } from './completion-model.js';

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
