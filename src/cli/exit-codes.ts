import type { AggError, ErrorKind } from '../errors.js';

/** Exit codes shared by every command (documented in the README). */
export const ExitCode = {
  ok: 0,
  /** The command ran and found something that should fail a CI job (drift, failed users, thresholds). */
  findings: 1,
  /** Bad arguments, config or input files. */
  usage: 2,
  /** The store or another piece of infrastructure could not be used. */
  infrastructure: 3,
  /** An unexpected error: a bug in agg (EX_SOFTWARE), never a finding. */
  software: 70,
  /** Another live run holds the lease (EX_TEMPFAIL): nothing was done; try again later. */
  tempfail: 75,
  /** Interrupted by SIGINT (Ctrl-C): 128 + 2. */
  interrupted: 130,
  /** Stopped by SIGTERM (a cancelled CI job, `kill`): 128 + 15. */
  terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

const BY_KIND: Readonly<Record<Exclude<ErrorKind, 'interrupted'>, ExitCodeValue>> = {
  input: ExitCode.usage,
  conflict: ExitCode.usage,
  unavailable: ExitCode.tempfail,
  infrastructure: ExitCode.infrastructure,
  findings: ExitCode.findings,
};

/** The one place where a kind of error becomes a process exit code. */
export function exitCodeOf(error: AggError): ExitCodeValue {
  if (error.kind === 'interrupted') return (error as AggError & { signal?: string }).signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
  return BY_KIND[error.kind];
}
