import { CommanderError } from 'commander';
import { StoreError } from '../store/errors.js';
import { AggError } from '../errors.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { type CliIo, type CommandIo, type OutputStream, processIo } from './io.js';
import type { StopSignal } from './interruption.js';
import { buildProgram } from './program.js';
import { Redactor } from './redact.js';

function redacting(stream: OutputStream, redactor: Redactor): OutputStream {
  return { write: (text: string) => stream.write(redactor.apply(text)), isTTY: stream.isTTY ?? false, ...(stream.raw ? { raw: stream.raw } : {}) };
}

/** Runs the CLI with the given arguments (without `node agg`), returning the exit code. Never throws. */
export async function runCli(args: readonly string[], external: CliIo): Promise<number> {
  const redactor = redactorFor(args, external.env);
  // --no-color is NO_COLOR for this run: one rule (src/cli/colour.ts) decides, whatever asked.
  const env = args.includes('--no-color') ? { ...external.env, NO_COLOR: '1' } : external.env;
  const io: CommandIo = { ...external, env, stdout: redacting(external.stdout, redactor), stderr: redacting(external.stderr, redactor), redactor };
  let exitCode: number = ExitCode.ok;
  try {
    const program = await buildProgram(
      io,
      (code) => {
        exitCode = code;
      },
      args,
    );
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io, args.includes('--debug'));
  }
}

/** A redactor that knows the keys of the command line and the environment (dotenv files' come later). */
function redactorFor(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Redactor {
  const redactor = new Redactor();
  redactor.add(env.CONVEX_DEPLOY_KEY);
  redactor.add(env.CONVEX_SELF_HOSTED_ADMIN_KEY);
  args.forEach((arg, i) => {
    if (args[i - 1] === '--admin-key') redactor.add(arg);
    if (arg.startsWith('--admin-key=')) redactor.add(arg.slice('--admin-key='.length));
  });
  return redactor;
}

/** Messages can quote input (a value with a newline, a parser's excerpt): they still print as one line. */
function oneLine(message: string): string {
  return message.replace(/\r\n|\r|\n/g, '\\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ');
}

function reportError(error: unknown, io: CommandIo, debug: boolean): number {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with code 0.
    if (error.exitCode === 0) return ExitCode.ok;
    // `agg` alone: the help went to stderr already; no command is a usage error, nothing more to say.
    if (error.code === 'commander.help') return ExitCode.usage;
    // commander's suggestion comes on a line of its own: one line, as every other error.
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\(Did you mean (.+)\?\)$/, ' (did you mean $1?)');
    io.stderr.write(`agg: ${oneLine(message)} (see agg --help)\n`);
    return ExitCode.usage;
  }
  if (error instanceof AggError) {
    io.stderr.write(`agg: ${oneLine(error.message)}\n`);
    if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
  if (error instanceof StoreError) {
    io.stderr.write(`agg: store error: ${oneLine(error.message)}\n`);
    if (debug && error.stack) io.stderr.write(`${error.stack}\n`);
    return ExitCode.infrastructure;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`agg: unexpected error: ${oneLine(message.split('\n')[0]!)}${debug ? '' : ' (run with --debug for details)'}\n`);
  if (debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return ExitCode.software;
}

export async function main(): Promise<void> {
  // SIGINT or SIGTERM: the first asks commands to stop at a safe point (the abort reason says which,
  // for the exit code); a second one, of either kind, exits at once.
  const interrupt = new AbortController();
  const onSignal = (signal: StopSignal): void => {
    if (interrupt.signal.aborted) process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
    interrupt.abort(signal);
  };
  // A failed promise nobody awaited is a bug of ours: one line and exit 70, never Node's stack trace.
  const args = process.argv.slice(2);
  process.on('unhandledRejection', (reason) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    process.stderr.write(redactorFor(args, process.env).apply(`agg: unexpected error: ${oneLine(message.split('\n')[0]!)} (run with --debug for details)\n`));
    if (args.includes('--debug') && reason instanceof Error && reason.stack) process.stderr.write(redactorFor(args, process.env).apply(`${reason.stack}\n`));
    process.exit(ExitCode.software);
  });
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // `agg … | head`: the reader has what it wanted. Stop quietly, as Unix tools do, not with a stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? ExitCode.ok);
      throw error;
    });
  }
  process.exitCode = await runCli(args, processIo(interrupt.signal));
}
