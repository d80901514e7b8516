import { Command } from '@commander-js/extra-typings';
import { DEFAULT_RETRIES } from '../store/retry.js';
import { HELP_CONFIGURATION, environmentDefault, helpFooter, helpWidths, option } from './help.js';
import type { CommandIo } from './io.js';
import { refuseOptionsAsValues } from './option-values.js';

export const VERSION = '0.1.0';

type Register = (program: Command, io: CommandIo, setExit: (code: number) => void) => void;

/**
 * The subcommands in help order, each loaded only when wanted: a run of one command imports that
 * command's code alone (start-up time and memory are part of every run), help and completion all.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<Register>]> = [
  ['backfill', async () => (await import('../commands/backfill.js')).registerBackfill],
  ['validate', async () => (await import('../commands/validate.js')).registerValidate],
  ['runs', async () => (await import('../commands/runs.js')).registerRuns],
  ['status', async () => (await import('../commands/status.js')).registerStatus],
  ['import', async () => (await import('../commands/import.js')).registerImport],
  ['delete-user', async () => (await import('../commands/delete-user.js')).registerDeleteUser],
  ['users', async () => (await import('../commands/users.js')).registerUsers],
  ['show', async () => (await import('../commands/show.js')).registerShow],
  ['parse', async () => (await import('../commands/parse.js')).registerParse],
  ['compute', async () => (await import('../commands/compute.js')).registerCompute],
  ['rollout', async () => (await import('../commands/rollout.js')).registerRollout],
  ['cleanup', async () => (await import('../commands/cleanup.js')).registerCleanup],
  ['archive', async () => (await import('../commands/archive.js')).registerArchive],
  ['completion', async () => (await import('../commands/completion.js')).registerCompletion],
];

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_VALUE_OPTIONS = new Set(['--url', '--env-file', '--admin-key', '--component', '--local', '--timeout', '--retries', '--config', '--max-input-size']);

/** The subcommand the arguments name, if any (the first word that is not a global option or its value). */
function commandNamed(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return null;
    if (arg.startsWith('-')) {
      if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
      continue;
    }
    return arg;
  }
  return null;
}


/** The program; with `args`, only the subcommand they name is loaded (every one for help, completion or a typo). */
export async function buildProgram(io: CommandIo, setExit: (code: number) => void, args?: readonly string[]): Promise<Command> {
  const program = new Command('agg')
    .description('Keeps pre-computed watch-history analytics correct in a Convex deployment.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces for unexpected errors')
    .addOption(option('--url <url>', 'Convex deployment URL', { shown: 'CONVEX_URL, a framework-prefixed *_CONVEX_URL or CONVEX_DEPLOYMENT in the environment, .env.local or .env; else derived from the deploy key' }))
    .addOption(option('--env-file <file>', 'read CONVEX_URL, CONVEX_DEPLOYMENT and CONVEX_DEPLOY_KEY from this dotenv file instead of .env.local and .env', { shown: 'AGG_ENV_FILE' }))
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

  const wanted = args === undefined ? null : commandNamed(args);
  // `agg --version` prints the version alone: no command's code is needed (loading all of them took half a second).
  const versionOnly = args !== undefined && wanted === null && args.some((arg) => arg === '-V' || arg === '--version');
  const only = COMMANDS.filter(([name]) => name === wanted && name !== 'completion');
  for (const [, load] of versionOnly ? [] : only.length === 1 ? only : COMMANDS) (await load())(program, io, setExit);
  refuseOptionsAsValues(program);
  return program;
}
