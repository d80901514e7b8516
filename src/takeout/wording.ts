// Localized wording of Takeout activity titles. English and Japanese are confirmed by real exports
// (../shared/fixtures/real); the other languages are best effort and only ever remove their own
// wording. Structure (links, details) decides what an entry is wherever it can; wording is the fallback.

/** Unicode space separators plus ASCII whitespace: Takeout puts NBSP after "Watched" in HTML. */
const SPACE = /[\s\p{Zs}]/u;

/** Verbs that open a watch title ("Watched <title>"); a space of any kind follows them. */
const WATCHED_PREFIXES: readonly string[] = [
  'Watched', // en
  'Has visto', // es
  'Vous avez regardé', // fr
  'Hai guardato', // it
  'Assistiu a', // pt
];

/** Verbs that close a watch title ("<title> を視聴しました"); a space of any kind precedes them. */
const WATCHED_SUFFIXES: readonly string[] = [
  'を視聴しました', // ja
  'angesehen', // de
  'bekeken', // nl
];

/** Whole titles of the "removed video" entry: a dated watch with no link. */
const REMOVED_VIDEO_TITLES: ReadonlySet<string> = new Set([
  'Watched a video that has been removed',
  '削除された動画を視聴しました',
]);

const SHORTS_TOOLS_TITLES: ReadonlySet<string> = new Set([
  'Used Shorts creation tools',
  'ショート動画作成ツールを使用しました',
]);

const SURVEY = /\bsurvey\b|アンケート/i;

/** Caption labels that introduce an entry's details ("Details: From Google Ads"). */
const DETAILS_LABELS: ReadonlySet<string> = new Set(['Details', '詳細', 'Détails', 'Detalles', 'Dettagli', 'Detalhes']);

export function normalizeSpaces(text: string): string {
  return text.replace(/[\s\p{Zs}]+/gu, ' ').trim();
}

/** The video title inside a localized "watched" title; the text unchanged when no wording is found. */
export function stripWatchedWording(title: string): string {
  for (const prefix of WATCHED_PREFIXES) {
    if (title.length > prefix.length + 1 && title.startsWith(prefix) && SPACE.test(title[prefix.length]!)) {
      return title.slice(prefix.length + 1);
    }
  }
  for (const suffix of WATCHED_SUFFIXES) {
    const cut = title.length - suffix.length - 1;
    if (cut > 0 && title.endsWith(suffix) && SPACE.test(title[cut]!)) return title.slice(0, cut);
  }
  return title;
}

export function isRemovedVideoTitle(text: string): boolean {
  return REMOVED_VIDEO_TITLES.has(normalizeSpaces(text));
}

export function isShortsToolsTitle(text: string): boolean {
  return SHORTS_TOOLS_TITLES.has(normalizeSpaces(text));
}

export function isSurveyTitle(text: string): boolean {
  return SURVEY.test(text);
}

/** True for "Details:" and its translations, with or without the colon (and French spacing). */
export function isDetailsLabel(label: string): boolean {
  return DETAILS_LABELS.has(normalizeSpaces(label).replace(/\s*[:：]$/, ''));
}
