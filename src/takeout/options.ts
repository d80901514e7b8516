export interface TakeoutParseOptions {
  /**
   * IANA zone for HTML timestamps whose zone the text does not settle (no zone, or an abbreviation
   * that is unknown or ambiguous). Without it such timestamps stay unresolved, never UTC.
   */
  readonly sourceTimeZone?: string;
}
