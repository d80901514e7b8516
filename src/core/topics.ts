// deriveTopics (spec §2.1): whole-word keyword matching over `title + ' ' + channel`, lower-cased.

const TOPIC_TABLE: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Technology', ['tech', 'software', 'hardware', 'coding', 'programming', 'developer', 'javascript', 'python', 'react', 'node', 'api', 'app', 'mobile', 'web', 'ai', 'machine learning', 'ml', 'data', 'database', 'cloud', 'aws', 'azure', 'devops', 'kubernetes', 'docker']],
  ['Finance', ['finance', 'money', 'invest', 'stock', 'crypto', 'bitcoin', 'ethereum', 'trading', 'market', 'economy', 'business', 'startup', 'entrepreneur', 'wealth', 'financial', 'bank']],
  ['Politics', ['politic', 'election', 'government', 'president', 'congress', 'senate', 'democrat', 'republican', 'policy', 'vote', 'campaign', 'liberal', 'conservative']],
  ['Entertainment', ['movie', 'film', 'tv', 'show', 'series', 'netflix', 'disney', 'marvel', 'actor', 'actress', 'celebrity', 'drama', 'comedy', 'entertainment']],
  ['Education', ['learn', 'education', 'tutorial', 'course', 'lesson', 'teach', 'study', 'university', 'college', 'school', 'academic', 'research', 'science', 'math', 'history']],
  ['Gaming', ['game', 'gaming', 'gamer', 'playstation', 'xbox', 'nintendo', 'steam', 'esports', 'minecraft', 'fortnite', 'valorant', 'league', 'overwatch', 'rpg', 'fps']],
  ['Music', ['music', 'song', 'album', 'artist', 'band', 'concert', 'spotify', 'hip hop', 'rap', 'rock', 'pop', 'jazz', 'classical', 'electronic', 'dj', 'producer']],
  ['Sports', ['sport', 'football', 'basketball', 'baseball', 'soccer', 'tennis', 'golf', 'nfl', 'nba', 'mlb', 'fifa', 'olympics', 'athlete', 'team', 'championship']],
  ['News', ['news', 'breaking', 'update', 'report', 'journalist', 'media', 'press', 'headline', 'story', 'coverage', 'current events']],
  ['Science', ['science', 'physics', 'chemistry', 'biology', 'research', 'experiment', 'discovery', 'space', 'nasa', 'quantum', 'evolution', 'climate']],
  ['Cooking', ['cook', 'recipe', 'food', 'meal', 'kitchen', 'chef', 'bake', 'cuisine', 'restaurant', 'eat', 'dish', 'ingredient', 'culinary']],
  ['Travel', ['travel', 'trip', 'vacation', 'tourist', 'destination', 'hotel', 'flight', 'adventure', 'explore', 'country', 'city', 'beach', 'mountain']],
];

export const DERIVED_TOPICS: readonly string[] = [...TOPIC_TABLE.map(([topic]) => topic), 'Other'];

/** Keyword (one word, or two words joined by one space) → bitmask of topics in table order. */
const KEYWORD_MASKS = new Map<string, number>();
TOPIC_TABLE.forEach(([, keywords], index) => {
  for (const keyword of keywords) KEYWORD_MASKS.set(keyword, (KEYWORD_MASKS.get(keyword) ?? 0) | (1 << index));
});

const OTHER_MASK = 1 << TOPIC_TABLE.length;
const maskArrays = new Map<number, readonly string[]>();

/** Topics in table order; the same frozen array for the same set, so callers may compare by identity. */
export function topicsOfMask(mask: number): readonly string[] {
  let topics = maskArrays.get(mask);
  if (topics === undefined) {
    topics = Object.freeze(DERIVED_TOPICS.filter((_, index) => (mask & (1 << index)) !== 0));
    maskArrays.set(mask, topics);
  }
  return topics;
}

/**
 * Every keyword as one alternation between JS word boundaries (\b is ASCII-only: non-ASCII letters are
 * boundaries, as in the origin). No keyword is a prefix word of a two-word keyword, so consuming one
 * match never hides another.
 */
const KEYWORD_PATTERN = new RegExp(
  `\\b(?:${[...KEYWORD_MASKS.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).join('|')})\\b`,
  'g',
);

export function deriveTopicMask(title: string, channel: string): number {
  const mask = keywordMask((title + ' ' + channel).toLowerCase());
  return mask === 0 ? OTHER_MASK : mask;
}

export function deriveTopics(title: string, channel: string): readonly string[] {
  return topicsOfMask(deriveTopicMask(title, channel));
}

/** Topics of every keyword in lower-cased text; 0 when none. */
function keywordMask(text: string): number {
  let mask = 0;
  KEYWORD_PATTERN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = KEYWORD_PATTERN.exec(text)) !== null) mask |= KEYWORD_MASKS.get(match[0])!;
  return mask;
}

/** Two-word keywords as [first word, second word, mask]. */
const TWO_WORD_KEYWORDS: ReadonlyArray<readonly [string, string, number]> = [...KEYWORD_MASKS]
  .filter(([keyword]) => keyword.includes(' '))
  .map(([keyword, mask]) => [keyword.slice(0, keyword.indexOf(' ')), keyword.slice(keyword.indexOf(' ') + 1), mask] as const);

const isWordCode = (code: number): boolean =>
  (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f;

interface ChannelKeywords {
  readonly mask: number;
  /** Two-word keywords whose second word opens the channel's text: [first word, mask]. */
  readonly opening: ReadonlyArray<readonly [string, number]>;
}

/**
 * deriveTopicMask for many records of few channels: each channel's text is searched once. A keyword
 * lies in the title, in the channel, or (two words) across the space between them; and since no first
 * word of a two-word keyword is a keyword itself (a test holds the table to this), finding the three
 * apart finds what one search of the joined text finds.
 */
export class TopicDeriver {
  readonly #channels = new Map<string, ChannelKeywords>();

  mask(title: string, channel: string): number {
    let known = this.#channels.get(channel);
    if (known === undefined) {
      const text = channel.toLowerCase();
      const opening = TWO_WORD_KEYWORDS.filter(([, second]) => text.startsWith(second) && !isWordCode(text.charCodeAt(second.length))).map(([first, , mask]) => [first, mask] as const);
      known = { mask: keywordMask(text), opening };
      this.#channels.set(channel, known);
    }
    const text = title.toLowerCase();
    let mask = keywordMask(text) | known.mask;
    for (const [first, keywordMask] of known.opening) {
      if (text.endsWith(first) && !isWordCode(text.charCodeAt(text.length - first.length - 1))) mask |= keywordMask;
    }
    return mask === 0 ? OTHER_MASK : mask;
  }
}
