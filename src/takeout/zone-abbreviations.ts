// UTC offsets (minutes) of zone abbreviations in Takeout HTML timestamps. The spec's table (§2.4: US
// zones, UTC, GMT) extended with abbreviations that name one offset only. Ambiguous ones are left out
// on purpose (IST: India/Ireland/Israel, BST: Britain/Bangladesh, AST/ADT: Atlantic/Arabia,
// SST, GST, ECT, …): they resolve through the caller's sourceTimeZone or not at all. CST and CDT keep
// their US meaning, as the spec's table has it.
const ZONE_ABBREVIATIONS: ReadonlyMap<string, number> = new Map([
  // Universal
  ['UTC', 0], ['GMT', 0], ['UT', 0], ['Z', 0],
  // North America (the spec's table, then Alaska, Hawaii and Newfoundland)
  ['EST', -300], ['EDT', -240], ['CST', -360], ['CDT', -300], ['MST', -420], ['MDT', -360],
  ['PST', -480], ['PDT', -420], ['AKST', -540], ['AKDT', -480], ['HST', -600], ['HDT', -540],
  ['NST', -210], ['NDT', -150],
  // Europe
  ['WET', 0], ['WEST', 60], ['CET', 60], ['CEST', 120], ['EET', 120], ['EEST', 180], ['MSK', 180],
  // Africa
  ['WAT', 60], ['CAT', 120], ['SAST', 120], ['EAT', 180],
  // Asia and Oceania
  ['PKT', 300], ['NPT', 345], ['WIB', 420], ['WITA', 480], ['WIT', 540], ['HKT', 480], ['SGT', 480],
  ['JST', 540], ['KST', 540], ['AWST', 480], ['ACST', 570], ['ACDT', 630], ['AEST', 600],
  ['AEDT', 660], ['NZST', 720], ['NZDT', 780],
  // South America
  ['BRT', -180], ['ART', -180],
]);

/** Offset in minutes east of UTC, or undefined when the abbreviation is unknown or ambiguous. */
export function zoneAbbreviationOffset(abbreviation: string): number | undefined {
  return ZONE_ABBREVIATIONS.get(abbreviation);
}
