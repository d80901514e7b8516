/** A Takeout export that cannot be read: the message is one line naming the problem (no file name). */
export class TakeoutFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TakeoutFormatError';
  }
}
