import { FAILED_SAMPLE_SIZE } from './checkpoint.js';
import { compareUserIds } from './selection.js';

export interface UserFailure {
  readonly userId: string;
  readonly error: string;
}

/** A run's failed users as summaries show them: how many, and the first FAILED_SAMPLE_SIZE in run order with their errors. */
export class FailureSample {
  private readonly listed: UserFailure[] = [];
  private total = 0;

  add(failure: UserFailure): void {
    this.total++;
    const last = this.listed[this.listed.length - 1];
    if (this.listed.length >= FAILED_SAMPLE_SIZE && last !== undefined && compareUserIds(failure.userId, last.userId) >= 0) return;
    let at = this.listed.length;
    while (at > 0 && compareUserIds(this.listed[at - 1]!.userId, failure.userId) > 0) at--;
    this.listed.splice(at, 0, failure);
    if (this.listed.length > FAILED_SAMPLE_SIZE) this.listed.pop();
  }

  get count(): number {
    return this.total;
  }

  get failures(): UserFailure[] {
    return [...this.listed];
  }
}
