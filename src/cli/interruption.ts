import { ExitCode } from './errors.js';

// SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job, `kill`) both ask a command to stop at a safe
// point; the exit code says which one arrived, as a shell would report it (128 + the signal's number).

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** The exit code of a command stopped by the signal its abort reason names (SIGINT when unknown). */
export function interruptedExitCode(signal: AbortSignal | undefined): number {
  return signal?.reason === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}
