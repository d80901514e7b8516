import { Command } from 'commander';
import { registerArchive } from '../commands/archive.js';
import { registerBackfill } from '../commands/backfill.js';
import { registerCleanup } from '../commands/cleanup.js';
import { registerCompletion } from '../commands/completion.js';
import { registerCompute } from '../commands/compute.js';
import { registerDeleteUser } from '../commands/delete-user.js';
import { registerImport } from '../commands/import.js';
import { registerParse } from '../commands/parse.js';
import { registerRollout } from '../commands/rollout.js';
import { registerRuns } from '../commands/runs.js';
import { registerShow } from '../commands/show.js';
import { registerStatus } from '../commands/status.js';
import { registerUsers } from '../commands/users.js';
import { registerValidate } from '../commands/validate.js';
import { DEFAULT_RETRIES } from '../store/retry.js';
import { HELP_CONFIGURATION, environmentDefault, helpFooter, helpWidths, option } from './help.js';
import type { CommandIo } from './io.js';
import { refuseOptionsAsValues } from './option-values.js';

export const VERSION = '0.1.0';

export function buildProgram(io: CommandIo, setExit: (code: number) => void): Command {
  const program = new Command('agg')
    .description('Keeps pre-computed watch-history analytics correct in a Convex deployment.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces for unexpected errors')
    .addOption(option('--url <url>', 'Convex deployment URL', { shown: 'CONVEX_URL, a framework-prefixed *_CONVEX_URL or CONVEX_DEPLOYMENT in the environment, .env.local or .env; else derived from the deploy key' }))
    .option('--env-file <file>', 'read CONVEX_URL, CONVEX_DEPLOYMENT and CONVEX_DEPLOY_KEY from this dotenv file instead of .env.local and .env')
    .addOption(option('--admin-key <key>', 'deploy key for internal functions; never printed', { shown: 'CONVEX_DEPLOY_KEY in the environment, .env.local or .env' }))
    .addOption(option('--component <name>', 'where the app mounts the agg component', { shown: environmentDefault('agg', 'AGG_COMPONENT') }))
    .addOption(option('--local <dir>', 'use the embedded store in this directory', { shown: environmentDefault('./.agg when no deployment is configured', 'AGG_LOCAL_DIR') }))
    .option('--prod', 'confirm that a production deploy key may be used')
    .addOption(option('--timeout <duration>', 'per-call timeout for the store', { value: '30s' }))
    .addOption(option('--retries <n>', 'retries of a failed store call (transient failures only)', { value: String(DEFAULT_RETRIES) }))
    .addOption(option('--config <file>', 'configuration file', { shown: './agg.config.json when present' }))
    .addOption(option('--max-input-size <size>', 'largest records file or Takeout export import, compute and parse read, e.g. 4GiB', { shown: environmentDefault('1GiB', 'AGG_MAX_INPUT_BYTES') }))
    .option('--quiet', 'no progress output')
    .option('--no-color', 'no colour in any output (as NO_COLOR=1 does)')
    .exitOverride()
    .configureHelp(HELP_CONFIGURATION)
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined,
      // Help wraps at the terminal's width up to 80 columns, and at 80 in a pipe or a CI log.
      ...helpWidths(io),
    });
  helpFooter(
    program,
    [
      ['agg import watch-history.json --user alice', 'load a Takeout export'],
      ['agg backfill --changed', 'the cron tick'],
      ['agg validate --sample 5%', 'check a sample of stored results'],
      ['agg status', 'the health of the store'],
    ],
    ['Global options go before or after the command. Every command has its own --help, with examples; agg completion bash|zsh|fish prints a shell completion script.'],
  );

  registerBackfill(program, io, setExit);
  registerValidate(program, io, setExit);
  registerRuns(program, io, setExit);
  registerStatus(program, io, setExit);
  registerImport(program, io, setExit);
  registerDeleteUser(program, io, setExit);
  registerUsers(program, io, setExit);
  registerShow(program, io, setExit);
  registerParse(program, io, setExit);
  registerCompute(program, io, setExit);
  registerRollout(program, io, setExit);
  registerCleanup(program, io, setExit);
  registerArchive(program, io, setExit);
  registerCompletion(program, io, setExit);
  refuseOptionsAsValues(program);
  return program;
}
