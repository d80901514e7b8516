import { Command } from 'commander';
import { registerArchive } from '../commands/archive.js';
import { registerBackfill } from '../commands/backfill.js';
import { registerCleanup } from '../commands/cleanup.js';
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
import type { CommandIo } from './io.js';
import { refuseOptionsAsValues } from './option-values.js';

export const VERSION = '0.1.0';

export function buildProgram(io: CommandIo, setExit: (code: number) => void): Command {
  const program = new Command('agg')
    .description('Keeps pre-computed watch-history analytics correct in a Convex deployment.')
    .version(VERSION, '-V, --version')
    .option('--debug', 'print stack traces for unexpected errors')
    .option('--url <url>', 'Convex deployment URL (default: CONVEX_URL or a framework-prefixed *_CONVEX_URL, else CONVEX_DEPLOYMENT, from the environment, .env.local, .env; else derived from the deploy key)')
    .option('--env-file <file>', 'read CONVEX_URL, CONVEX_DEPLOYMENT and CONVEX_DEPLOY_KEY from this dotenv file instead of .env.local and .env')
    .option('--admin-key <key>', 'deploy key for internal functions (default: CONVEX_DEPLOY_KEY); never printed')
    .option('--component <name>', 'where the app mounts the agg component (default: AGG_COMPONENT, else agg)')
    .option('--local <dir>', 'use the embedded store in this directory (default: AGG_LOCAL_DIR, else ./.agg when no deployment is configured)')
    .option('--prod', 'confirm that a production deploy key may be used')
    .option('--timeout <duration>', 'per-call timeout for the store', '30s')
    .option('--retries <n>', 'retries of a failed store call (transient failures only)', String(DEFAULT_RETRIES))
    .option('--config <file>', 'configuration file (default: ./agg.config.json when present)')
    .option('--max-input-size <size>', 'largest records file or Takeout export import, compute and parse read, e.g. 4GiB (default: AGG_MAX_INPUT_BYTES, else 1GiB)')
    .option('--quiet', 'no progress output')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: () => undefined,
    });

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
  refuseOptionsAsValues(program);
  return program;
}
