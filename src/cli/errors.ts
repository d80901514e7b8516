// What the commands throw and return, in one import: the domain errors (src/errors.ts) and the exit
// codes (src/cli/exit-codes.ts). Code below src/commands imports src/errors.ts itself.
export { AggError, FindingsError, InfrastructureError, InterruptedError, UnavailableError, UsageError } from '../errors.js';
export { ExitCode, type ExitCodeValue, exitCodeOf } from './exit-codes.js';

