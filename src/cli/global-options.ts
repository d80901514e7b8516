import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';

/** Options every command accepts (declared on the program, read with optsWithGlobals). */
export interface GlobalOptions {
  url?: string;
  adminKey?: string;
  local?: string;
  prod?: boolean;
  envFile?: string;
  component?: string;
  timeout: string;
  retries: string;
  config?: string;
  maxInputSize?: string;
  quiet?: boolean;
  debug?: boolean;
}

/** The global options as commander parsed them (the program declares each, with its default). */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as unknown as GlobalOptions;
}
