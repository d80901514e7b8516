import { describe, expect, it } from 'vitest';
import { computeAggregations } from '../../src/core/compute.js';
import { TopicDeriver, deriveTopics, topicsOfMask } from '../../src/core/topics.js';
import { Random } from '../../fixtures/random.js';
import { rec } from './support/records.js';

// The keyword table of spec §2.1, copied from the spec text (not from src/core).
const SPEC_TABLE: ReadonlyArray<readonly [string, string]> = [
  ['Technology', 'tech, software, hardware, coding, programming, developer, javascript, python, react, node, api, app, mobile, web, ai, machine learning, ml, data, database, cloud, aws, azure, devops, kubernetes, docker'],
  ['Finance', 'finance, money, invest, stock, crypto, bitcoin, ethereum, trading, market, economy, business, startup, entrepreneur, wealth, financial, bank'],
  ['Politics', 'politic, election, government, president, congress, senate, democrat, republican, policy, vote, campaign, liberal, conservative'],
  ['Entertainment', 'movie, film, tv, show, series, netflix, disney, marvel, actor, actress, celebrity, drama, comedy, entertainment'],
  ['Education', 'learn, education, tutorial, course, lesson, teach, study, university, college, school, academic, research, science, math, history'],
  ['Gaming', 'game, gaming, gamer, playstation, xbox, nintendo, steam, esports, minecraft, fortnite, valorant, league, overwatch, rpg, fps'],
  ['Music', 'music, song, album, artist, band, concert, spotify, hip hop, rap, rock, pop, jazz, classical, electronic, dj, producer'],
  ['Sports', 'sport, football, basketball, baseball, soccer, tennis, golf, nfl, nba, mlb, fifa, olympics, athlete, team, championship'],
  ['News', 'news, breaking, update, report, journalist, media, press, headline, story, coverage, current events'],
  ['Science', 'science, physics, chemistry, biology, research, experiment, discovery, space, nasa, quantum, evolution, climate'],
  ['Cooking', 'cook, recipe, food, meal, kitchen, chef, bake, cuisine, restaurant, eat, dish, ingredient, culinary'],
  ['Travel', 'travel, trip, vacation, tourist, destination, hotel, flight, adventure, explore, country, city, beach, mountain'],
];

const REFERENCE = SPEC_TABLE.map(([topic, list]) => ({
  topic,
  patterns: list.split(', ').map((keyword) => new RegExp('\\b' + keyword + '\\b')),
}));

/** The spec's definition, literally: one regular expression per keyword, topics in table order. */
function referenceTopics(title: string, channel: string): string[] {
  const text = (title + ' ' + channel).toLowerCase();
  const topics = REFERENCE.filter(({ patterns }) => patterns.some((pattern) => pattern.test(text))).map(({ topic }) => topic);
  return topics.length > 0 ? topics : ['Other'];
}

describe('deriveTopics (spec §2.1)', () => {
  it('matches whole words only', () => {
    expect(deriveTopics('Politics today', '')).toEqual(['Other']);
    expect(deriveTopics('politic', '')).toEqual(['Politics']);
    expect(deriveTopics('All sports', '')).toEqual(['Other']);
    expect(deriveTopics('sport', '')).toEqual(['Sports']);
    expect(deriveTopics('Best apps', '')).toEqual(['Other']);
    expect(deriveTopics('my app', '')).toEqual(['Technology']);
    expect(deriveTopics('Games night', '')).toEqual(['Other']);
    expect(deriveTopics('game night', '')).toEqual(['Gaming']);
    expect(deriveTopics('He said', '')).toEqual(['Other']);
    expect(deriveTopics('AI art', '')).toEqual(['Technology']);
    expect(deriveTopics('Intro to Node.js', '')).toEqual(['Technology']);
    expect(deriveTopics('python_x', '')).toEqual(['Other']);
    expect(deriveTopics('python3', '')).toEqual(['Other']); // digits are word characters
    expect(deriveTopics('python-3', '')).toEqual(['Technology']);
  });

  it('treats non-ASCII letters as word boundaries', () => {
    expect(deriveTopics('rapé', '')).toEqual(['Music']); // "rap" then é, a non-word character for \b
    expect(deriveTopics('éai', '')).toEqual(['Technology']);
    expect(deriveTopics('日本tv', '')).toEqual(['Entertainment']);
    expect(deriveTopics('ñgameñ', '')).toEqual(['Gaming']);
  });

  it('needs exactly one space inside a two-word keyword', () => {
    expect(deriveTopics('machine learning', '')).toEqual(['Technology']);
    expect(deriveTopics('machine  learning', '')).toEqual(['Other']);
    expect(deriveTopics('machine\tlearning', '')).toEqual(['Other']);
    expect(deriveTopics('machine-learning', '')).toEqual(['Other']);
    expect(deriveTopics('Hip Hop', '')).toEqual(['Music']);
    expect(deriveTopics('hip-hop hiphop', '')).toEqual(['Other']);
    expect(deriveTopics('current events', '')).toEqual(['News']);
    expect(deriveTopics('current  events', '')).toEqual(['Other']);
    // Title and channel are joined with one space, so a keyword can span them.
    expect(deriveTopics('machine', 'learning')).toEqual(['Technology']);
    expect(deriveTopics('hip', 'hop')).toEqual(['Music']);
  });

  it('lists topics in table order, once each, and Other when nothing matches', () => {
    expect(deriveTopics('recipe for python', '')).toEqual(['Technology', 'Cooking']);
    expect(deriveTopics('travel eat rock science', 'NASA')).toEqual(['Education', 'Music', 'Science', 'Cooking', 'Travel']);
    expect(deriveTopics('science research science research', '')).toEqual(['Education', 'Science']);
    expect(deriveTopics('', '')).toEqual(['Other']);
    expect(deriveTopics('Cats compilation', 'Funny Pets')).toEqual(['Other']);
    expect(deriveTopics('', 'Coding Train')).toEqual(['Technology']);
  });

  it('agrees with a literal per-keyword RegExp reference on random text', () => {
    const random = new Random('topics-property');
    const keywords = SPEC_TABLE.flatMap(([, list]) => list.split(', '));
    const pieces = [
      ...keywords,
      ...keywords.map((k) => k.toUpperCase()),
      ...keywords.map((k) => k[0]!.toUpperCase() + k.slice(1)),
      'politics', 'sports', 'apps', 'games', 'said', 'node.js', 'python_x', 'hiphop', 'machine  learning', 'current  events',
      'xyz', 'the', 'a', 's', 'ing', 'er', '42', '_', 'İ', 'K', 'ß', 'é', 'ü', '日本', 'ñ', 'Ω', '😀',
    ];
    const separators = [' ', ' ', ' ', '  ', '', '.', ',', '_', '-', '/', '\t', '\n', '0', '7', 'é', 'ü', '日', '\u00a0', '\u202f', '#', "'"];
    const build = (): string => {
      let text = '';
      const n = random.int(6);
      for (let i = 0; i < n; i++) text += random.pick(separators) + random.pick(pieces);
      return text + (random.chance(0.5) ? random.pick(separators) : '');
    };
    let matched = 0;
    for (let i = 0; i < 5000; i++) {
      const title = build();
      const channel = build();
      const expected = referenceTopics(title, channel);
      expect(deriveTopics(title, channel), JSON.stringify([title, channel])).toEqual(expected);
      if (expected[0] !== 'Other') matched++;
    }
    // The generator must exercise both outcomes.
    expect(matched).toBeGreaterThan(1000);
    expect(matched).toBeLessThan(4900);
  });
});

describe('TopicDeriver: each channel searched once', () => {
  const keywords = SPEC_TABLE.flatMap(([, list]) => list.split(', '));
  const twoWord = keywords.filter((keyword) => keyword.includes(' ')).map((keyword) => keyword.split(' ') as [string, string]);

  it('holds the keyword table to what searching title and channel apart relies on', () => {
    expect(twoWord.length).toBeGreaterThan(0);
    for (const [first, second] of twoWord) {
      // A first word that was a keyword could be found in the title alone where the joined text
      // finds the two-word keyword instead; one that opens a second word could hide in the channel.
      expect(keywords.filter((keyword) => keyword === first || second.startsWith(keyword) && !/^\w/.test(second.slice(keyword.length)))).toEqual([]);
    }
  });

  it('finds a two-word keyword across the title and the channel, and only between whole words', () => {
    const deriver = new TopicDeriver();
    const topics = (title: string, channel: string) => topicsOfMask(deriver.mask(title, channel));
    expect(topics('intro to machine', 'Learning Lab')).toEqual(['Technology']);
    expect(topics('hip', 'hop')).toEqual(['Music']);
    expect(topics('Current', 'Events daily')).toEqual(['News']);
    expect(topics('xhip', 'hop')).toEqual(['Other']);
    expect(topics('hip', 'hops')).toEqual(['Other']);
    expect(topics('hip ', 'hop')).toEqual(['Other']);
    expect(topics('', 'hip hop')).toEqual(['Music']);
  });

  it('agrees with deriveTopics on random pairs, one deriver for all of them, channels repeating', () => {
    const random = new Random('topic-deriver');
    const halves = [...twoWord.flat(), ...twoWord.flat().map((word) => word.toUpperCase())];
    const pieces = [...keywords, 'xyz', 'the', 'ing', '42', '_', 'İ', 'ß', 'é', '日本', '😀'];
    const separators = [' ', ' ', '  ', '', '.', '_', '-', '0', 'é', '\u00a0', "'"];
    const build = (): string => {
      let text = '';
      const n = random.int(5);
      // Half the texts open or end with a word, so that the join is often between two words.
      for (let i = 0; i < n; i++) {
        const piece = random.chance(0.5) ? random.pick(halves) : random.pick(pieces);
        text += (i === 0 && random.chance(0.5) ? '' : random.pick(separators)) + piece;
      }
      return text + (random.chance(0.3) ? random.pick(separators) : '');
    };
    const channels = Array.from({ length: 100 }, build);
    const spans = twoWord.map(([first, second]) => new RegExp(`\\b${first} ${second}\\b`));
    const deriver = new TopicDeriver();
    let spanning = 0;
    for (let i = 0; i < 10_000; i++) {
      const title = build();
      const channel = random.pick(channels);
      const expected = deriveTopics(title, channel);
      expect(topicsOfMask(deriver.mask(title, channel)), JSON.stringify([title, channel])).toEqual(expected);
      const joined = `${title} ${channel}`.toLowerCase();
      if (spans.some((pattern) => pattern.test(joined) && !pattern.test(title.toLowerCase()) && !pattern.test(channel.toLowerCase()))) spanning++;
    }
    // The generator must produce keywords that span the join.
    expect(spanning).toBeGreaterThan(10);
  });
});

describe('topics on input records (spec §1.3)', () => {
  const context = { asOf: '2024-01-01T00:00:00.000Z', timeZone: 'UTC' };
  const leaderboard = (records: Parameters<typeof computeAggregations>[0]['records']) =>
    computeAggregations({ records, context, types: ['topics_leaderboard'] }).results[0]!.data as { topic: string; count: number }[];

  it('derives topics from the raw title and channel when topics are absent or empty, and keeps given ones', () => {
    const result = leaderboard([
      rec('a', '2023-12-01T00:00:00.000Z', { videoTitle: 'Python tutorial' }),
      rec('b', '2023-12-01T00:00:00.000Z', { videoTitle: 'Python tutorial', topics: [] }),
      rec('c', '2023-12-01T00:00:00.000Z', { videoTitle: 'Python tutorial', topics: ['Custom'] }),
      rec('d', '2023-12-01T00:00:00.000Z', { videoTitle: null, channelTitle: 'Jazz Cafe' }),
      // No title or channel: the defaults "Unknown Video"/"Unknown Channel" are not searched.
      rec('e', '2023-12-01T00:00:00.000Z'),
    ]);
    expect(result.map(({ topic, count }) => [topic, count])).toEqual([
      ['Education', 2],
      ['Technology', 2],
      ['Custom', 1],
      ['Music', 1],
      ['Other', 1],
    ]);
  });
});
