// Domain errors by kind. Code below the CLI says what went wrong; src/cli/exit-codes.ts alone decides
// which process exit code each kind becomes.

export const ERROR_KINDS = ['input', 'conflict', 'unavailable', 'infrastructure', 'interrupted', 'findings'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** An error meant for the user: one line, no stack trace, and a kind that names what happened. */
export class AggError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
  ) {
    super(message);
    this.name = 'AggError';
  }
}

/** Bad arguments, config or input files. */
export class UsageError extends AggError {
  constructor(message: string) {
    super(message, 'input');
    this.name = 'UsageError';
  }
}

/** The store, a file system or another piece of infrastructure could not be used. */
export class InfrastructureError extends AggError {
  constructor(message: string) {
    super(message, 'infrastructure');
    this.name = 'InfrastructureError';
  }
}

/** Something was found that should fail a CI job (a damaged archive, drift). */
export class FindingsError extends AggError {
  constructor(message: string) {
    super(message, 'findings');
    this.name = 'FindingsError';
  }
}

/** Another live run holds what this one needs: nothing was done; try again later. */
export class UnavailableError extends AggError {
  constructor(message: string) {
    super(message, 'unavailable');
    this.name = 'UnavailableError';
  }
}

/** Stopped at a safe point by a signal; `signal` says which (their exit codes differ). */
export class InterruptedError extends AggError {
  constructor(
    message: string,
    readonly signal: 'SIGINT' | 'SIGTERM',
  ) {
    super(message, 'interrupted');
    this.name = 'InterruptedError';
  }
}

/** Why a file-system call failed, by errno: how a read and how a write say it. */
const FS_REASONS: Readonly<Record<string, { readonly read: string; readonly write: string }>> = {
  ENOENT: { read: 'no such file', write: 'the directory does not exist' },
  EISDIR: { read: 'is a directory, expected a file', write: 'it is a directory' },
  ENOTDIR: { read: 'no such file (a directory in the path is a file)', write: 'a directory in the path is a file' },
  EACCES: { read: 'permission denied', write: 'permission denied' },
  EPERM: { read: 'permission denied', write: 'permission denied' },
  EROFS: { read: 'permission denied', write: 'permission denied (a read-only file system)' },
  EEXIST: { read: 'a file is in the way', write: 'a file is in the way' },
};

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/**
 * The one table of file-system failures: one line naming the path, what was being done and why.
 * A read says `PATH: why`; anything else `PATH: cannot ACTION: why`. The caller's mistakes (a wrong
 * path, permissions) are input errors, with `hint` appended; a full disk or anything unknown is the
 * infrastructure's.
 */
export function fsFailure(path: string, action: string, error: unknown, hint = ''): AggError {
  const code = (error as NodeJS.ErrnoException | null)?.code ?? '';
  const prefix = action === 'read' ? `${path}: ` : `${path}: cannot ${action}: `;
  if (NO_SPACE.has(code)) return new InfrastructureError(`${prefix}no space left on the device`);
  const reason = FS_REASONS[code];
  if (reason) return new UsageError(`${prefix}${action === 'read' ? reason.read : reason.write}${hint ? ` ${hint}` : ''}`);
  const detail = (error as Error | null)?.message ?? String(error);
  return new InfrastructureError(action === 'read' ? `${path}: cannot read (${detail})` : `${path}: cannot ${action} (${detail})`);
}
