/** Why a store call failed, as far as retrying is concerned. */
export type StoreErrorKind = 'transient' | 'permanent';

/**
 * A failure of the store. `scope` says what it condemns: 'store' (wrong key, missing functions,
 * unreachable: no later call can succeed, so a job stops and the CLI exits 3) or 'item' (this one
 * call's data was refused: a job records the user as failed and goes on).
 */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly kind: StoreErrorKind,
    readonly scope: 'store' | 'item' = 'store',
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** The stored data contradicts itself (a checksum mismatch, a row of the wrong shape). */
export class StoreIntegrityError extends StoreError {
  constructor(message: string) {
    super(message, 'permanent', 'item');
    this.name = 'StoreIntegrityError';
  }
}

/** The embedded store was asked to open an existing database (read-only commands) and there is none. */
export class StoreNotFoundError extends StoreError {
  constructor(readonly dir: string) {
    super(`no embedded store at ${dir}`, 'permanent');
    this.name = 'StoreNotFoundError';
  }
}
