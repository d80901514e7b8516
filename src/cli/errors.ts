// What the commands throw and return, in one import: the domain errors (src/errors.ts) and the exit
// codes (src/cli/exit-codes.ts). Code below src/commands imports src/errors.ts itself.
export { AggError, FindingsError, InfrastructureError, InterruptedError, UnavailableError, UsageError } from '../errors.js';
export { ExitCode, type ExitCodeValue, exitCodeOf } from './exit-codes.js';

import { AggError, type ErrorKind } from '../errors.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

const KIND_OF_CODE: ReadonlyMap<number, ErrorKind> = new Map([
  [ExitCode.findings, 'findings'],
  [ExitCode.usage, 'input'],
  [ExitCode.infrastructure, 'infrastructure'],
  [ExitCode.tempfail, 'unavailable'],
]);

/** @deprecated Throw a kind (FindingsError, UsageError, …) instead: kept for code written before src/errors.ts. */
export class CliError extends AggError {
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.usage) {
    super(message, KIND_OF_CODE.get(exitCode) ?? 'infrastructure');
  }
}
