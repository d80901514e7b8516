// The bad-input corpus: every kind of wrong input a user can give agg, across commands. Each case must
// end with one line on stderr that names the offending value and what is expected, exit 2 (3 when the
// infrastructure is at fault), no stack trace unless --debug, nothing on stdout, and no write to the
// store (every table of the embedded store compared before and after).
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type CliRun, runAgg } from '../support/cli.js';

// An archive destination that fills up: writes through node:fs/promises fail with ENOSPC while `disk.full`.
const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof actual.open = async (...args) => {
    const handle = await actual.open(...args);
    if (!disk.full || args[1] !== 'wx') return handle;
    return new Proxy(handle, {
      get(target, property) {
        if (property === 'writeFile') return async () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  return { ...actual, open, default: { ...actual, open } };
});

const NOW = Date.parse('2025-07-01T00:00:00.000Z');
const IS_ROOT = process.getuid?.() === 0;

const takeoutEntry = (time: string, title = 'Some video') => ({
  header: 'YouTube',
  title: `Watched ${title}`,
  titleUrl: 'https://www.youtube.com/watch?v=abcdefghijk',
  subtitles: [{ name: 'Channel', url: 'https://www.youtube.com/channel/UC123' }],
  time,
  products: ['YouTube'],
  activityControls: ['YouTube watch history'],
});
const TAKEOUT_JSON = JSON.stringify([takeoutEntry('2025-06-01T10:00:00.000Z', 'One'), takeoutEntry('2025-06-02T10:00:00.000Z', 'Two')], null, 2);
const htmlEntry = (when: string) =>
  `<div class="outer-cell mdl-cell mdl-cell--12-col mdl-shadow--2dp"><div class="mdl-grid"><div class="header-cell mdl-cell mdl-cell--12-col"><p class="mdl-typography--title">YouTube<br></p></div><div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1">Watched&nbsp;<a href="https://www.youtube.com/watch?v=abcdefghijk">Some video</a><br><a href="https://www.youtube.com/channel/UC123">Channel</a><br>${when}<br></div><div class="content-cell mdl-cell mdl-cell--6-col mdl-typography--body-1 mdl-typography--text-right"></div><div class="content-cell mdl-cell mdl-cell--12-col mdl-typography--caption"><b>Products:</b><br>&emsp;YouTube<br></div></div></div>`;
const TAKEOUT_HTML = `<html><head><title>History</title></head><body><div class="mdl-grid">${htmlEntry('Jun 1, 2025, 10:00:00 AM UTC')}${htmlEntry('Jun 2, 2025, 10:00:00 AM UTC')}</div></body></html>`;
const RECORD = { id: 'r1', watchedAt: '2025-06-01T10:00:00.000Z', videoTitle: 'A video', channelTitle: 'A channel' };
const jsonl = (...records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** A working directory per case, copied from a template with a populated embedded store and an archive. */
interface Ctx {
  readonly dir: string;
  /** Writes a file in the case's directory; returns its absolute path. */
  file(name: string, content: string | Uint8Array): string;
  /** The archive the template made (agg run ledger rows), in this case's copy. */
  readonly archiveDir: string;
}

interface Case {
  readonly name: string;
  readonly args: (ctx: Ctx) => string[];
  /** Default 2. */
  readonly code?: 1 | 2 | 3;
  readonly message: RegExp;
  readonly skip?: string;
  readonly before?: (ctx: Ctx) => void;
  readonly after?: (ctx: Ctx) => void;
  /** The environment agg runs with (default: none). */
  readonly env?: Readonly<Record<string, string>>;
  /** A command whose run failed mid-way after its ledger row was written: that row, marked failed, is the one change allowed. */
  readonly failedRun?: string;
}

const c = (name: string, args: (ctx: Ctx) => string[], message: RegExp, extra: Partial<Case> = {}): Case => ({ name, args, message, ...extra });
const fixed = (...args: string[]) => () => args;

const CASES: Case[] = [
  // Takeout exports
  c('truncated Takeout JSON', (x) => ['import', x.file('watch-history.json', TAKEOUT_JSON.slice(0, TAKEOUT_JSON.length - 60)), '--user', 'u9'], /watch-history\.json: the JSON ends inside entry 2: the file looks truncated \(export or download it again\)/),
  c('Takeout JSON with a broken entry', (x) => ['import', x.file('w.json', TAKEOUT_JSON.replace('"header": "YouTube",', '"header": "YouTube" oops,')), '--user', 'u9'], /w\.json: invalid JSON in entry 1 at line \d+, column \d+/),
  c('Takeout JSON with text after the array', (x) => ['parse', x.file('w.json', `${TAKEOUT_JSON} trailing`)], /w\.json: invalid JSON at line \d+, column \d+: unexpected text after the array/),
  c('Takeout JSON entry without a time', (x) => ['import', x.file('w.json', JSON.stringify([{ ...takeoutEntry('x'), time: undefined }])), '--user', 'u9'], /w\.json: entry 1 .*"time" expected string \(missing\)/),
  c('truncated Takeout HTML', (x) => ['import', x.file('watch-history.html', TAKEOUT_HTML.slice(0, TAKEOUT_HTML.indexOf('</body>'))), '--user', 'u9'], /watch-history\.html: .*ends before its closing <\/body> tag/),
  c('Takeout HTML cut inside an entry', (x) => ['parse', x.file('w.html', `${TAKEOUT_HTML.slice(0, TAKEOUT_HTML.lastIndexOf('Jun 2'))}</body></html>`)], /w\.html: entry 2 is incomplete/),
  c('HTML that is not an export', (x) => ['import', x.file('page.html', '<html><body><p>Hello</p></body></html>'), '--user', 'u9'], /page\.html: an HTML file, but not a Takeout watch-history export/),
  c('a gzip file given as an export', (x) => ['import', x.file('w.json.gz', gzipSync(Buffer.from(TAKEOUT_JSON))), '--user', 'u9'], /w\.json\.gz: (not UTF-8 text|.*gzip)/),
  c('a Latin-1 file', (x) => ['import', x.file('w.json', Buffer.from(TAKEOUT_JSON.replace('One', 'Café'), 'latin1')), '--user', 'u9'], /w\.json: not UTF-8 text (near line \d+, column \d+ )?\(save the file as UTF-8\)/),
  c('UTF-16 without a byte-order mark', (x) => ['import', x.file('w.json', Buffer.from(TAKEOUT_JSON, 'utf16le')), '--user', 'u9'], /w\.json: UTF-16 text without a byte-order mark \(save the file as UTF-8\)/),
  c('an empty file', (x) => ['import', x.file('empty.json', ''), '--user', 'u9'], /empty\.json: the file is empty/),
  c('a file of blanks', (x) => ['compute', x.file('blank.jsonl', '  \n\n  \n')], /blank\.jsonl: the file is empty/),
  c('a CSV file', (x) => ['import', x.file('w.csv', 'id,watchedAt\n1,2025-01-01\n'), '--user', 'u9'], /w\.csv: not valid JSON or JSON Lines/),
  c('one huge line of garbage (8 MB)', (x) => ['import', x.file('huge.jsonl', `{"id":"a","watchedAt":null}\n${'x'.repeat(8 * 1024 * 1024)}\n`), '--user', 'u9'], /huge\.jsonl:2: not valid JSON/),
  c('a record with a 20,000-character title', (x) => ['import', x.file('long.jsonl', jsonl({ ...RECORD, videoTitle: 'y'.repeat(20_000) })), '--user', 'u9'], /long\.jsonl:1: invalid record: videoTitle: must be at most 8192 characters/),
  // Records files
  c('JSON Lines with a broken line', (x) => ['import', x.file('r.jsonl', `${jsonl(RECORD, { ...RECORD, id: 'r2' })}{"id": "r3",\n`), '--user', 'u9'], /r\.jsonl:3: not valid JSON/),
  c('a record id that is a number', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, id: 7 })), '--user', 'u9'], /r\.jsonl:1: invalid record: id: .*string.*\(got 7\)/),
  c('a record without an id', (x) => ['compute', x.file('r.json', JSON.stringify([{ watchedAt: null }]))], /r\.json \(record 1\): invalid record: id: .*\(missing\)/),
  c('watchedAt that is not a date', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, watchedAt: 'yesterday' })), '--user', 'u9'], /r\.jsonl:1: invalid record: watchedAt: must be an ISO-8601 instant.*\(got "yesterday"\)/),
  c('watchedAt on February 30', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, watchedAt: '2025-02-30T10:00:00Z' })), '--user', 'u9'], /r\.jsonl:1: invalid record: watchedAt: must be an ISO-8601 instant.*\(got "2025-02-30T10:00:00Z"\)/),
  c('watchedAt in month 13', (x) => ['compute', x.file('r.jsonl', jsonl({ ...RECORD, watchedAt: '2025-13-01T10:00:00Z' }))], /invalid record: watchedAt: must be an ISO-8601 instant.*\(got "2025-13-01T10:00:00Z"\)/),
  c('watchedAt at hour 25', (x) => ['compute', x.file('r.jsonl', jsonl({ ...RECORD, watchedAt: '2025-06-01T25:00:00Z' }))], /invalid record: watchedAt: must be an ISO-8601 instant.*\(got "2025-06-01T25:00:00Z"\)/),
  c('watchedAt without an offset', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, watchedAt: '2025-06-01T10:00:00' })), '--user', 'u9'], /invalid record: watchedAt: must be an ISO-8601 instant with an offset.*\(got "2025-06-01T10:00:00"\)/),
  c('an unknown product', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, product: 'YouTube Kids' })), '--user', 'u9'], /r\.jsonl:1: invalid record: product: .*"YouTube".*"YouTube Music".*\(got "YouTube Kids"\)/),
  c('topics that are not a list', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, topics: 'Music' })), '--user', 'u9'], /r\.jsonl:1: invalid record: topics: .*array.*\(got "Music"\)/),
  c('isAd as a string', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, isAd: 'yes' })), '--user', 'u9'], /r\.jsonl:1: invalid record: isAd: .*boolean.*\(got "yes"\)/),
  c('duplicate record ids', (x) => ['import', x.file('r.jsonl', jsonl(RECORD, RECORD)), '--user', 'u9'], /r\.jsonl:2: duplicate record id "r1" \(first at 1\)/),
  c('a single JSON object', (x) => ['import', x.file('r.json', JSON.stringify(RECORD)), '--user', 'u9'], /r\.json: expected a JSON array of records or JSON Lines, got a single JSON value/),
  // Files that are not there or cannot be read
  c('a file that does not exist', (x) => ['import', join(x.dir, 'nope.json'), '--user', 'u9'], /nope\.json: no such file/),
  c('a directory instead of a file', (x) => ['compute', x.dir], /: is a directory, expected a file/),
  c('a path through a file', (x) => ['parse', join(x.file('plain.txt', 'x'), 'inside.json')], /plain\.txt\/inside\.json: no such file \(a directory in the path is a file\)/),
  c('an unreadable file', (x) => ['import', (chmodSync(x.file('locked.json', TAKEOUT_JSON), 0o000), join(x.dir, 'locked.json')), '--user', 'u9'], /locked\.json: permission denied/, {
    skip: IS_ROOT ? 'running as root, which reads any file whatever its mode' : undefined,
  }),
  c('parse --out under a file', (x) => ['parse', x.file('w.json', TAKEOUT_JSON), '--out', join(x.file('plain.txt', 'x'), 'records.jsonl')], /plain\.txt\/records\.jsonl: cannot write: a directory in the path is a file/),
  // Types, filters, times and zones
  c('an unknown type', fixed('backfill', '--all', '--type', 'kpis'), /--type "kpis" is not an aggregation type \(expected one of: kpi, monthly_trend/),
  c('an unknown timeframe', (x) => ['compute', x.file('r.jsonl', jsonl(RECORD)), '--timeframe', 'Last7D'], /--timeframe "Last7D" is not valid \(expected one of: MTD, QTD, YTD, Last6M, Last12M, All\)/),
  c('an unknown product filter', (x) => ['compute', x.file('r.jsonl', jsonl(RECORD)), '--product', 'Vimeo'], /--product "Vimeo" is not valid \(expected one of: .*YouTube Music/),
  c('--as-of that is not an instant', fixed('backfill', '--all', '--as-of', 'tomorrow'), /--as-of "tomorrow" is not an ISO-8601 instant \(expected e\.g\. 2025-01-31T23:59:59Z\)/),
  c('--as-of on February 30', fixed('backfill', '--all', '--as-of', '2025-02-30T00:00:00Z'), /--as-of "2025-02-30T00:00:00Z" is not an ISO-8601 instant/),
  c('an unknown time zone', fixed('backfill', '--all', '--tz', 'Mars/Olympus_Mons'), /--tz "Mars\/Olympus_Mons" is not an IANA time zone \(expected e\.g\. UTC, Europe\/Berlin/),
  c('an unknown source time zone', (x) => ['import', x.file('w.html', TAKEOUT_HTML), '--user', 'u9', '--source-tz', 'Nowhere/Land'], /--source-tz "Nowhere\/Land" is not an IANA time zone/),
  c('a grid file that is not JSON', (x) => ['backfill', '--all', '--grid', x.file('grid.json', '[{"timeframe": ')], /grid\.json: not valid JSON/),
  c('a grid file with an unknown timeframe', (x) => ['backfill', '--all', '--grid', x.file('grid.json', '[{"timeframe": "Last7D"}]')], /grid\.json.*timeframe.*"Last7D"|grid\.json.*timeframe.*expected one of/),
  c('a grid file that is not a list', (x) => ['backfill', '--all', '--grid', x.file('grid.json', '{"timeframe": "All"}')], /grid\.json: .*array/),
  // Durations, counts and percentages
  c('--max-runtime without a unit', fixed('backfill', '--all', '--max-runtime', '10'), /--max-runtime "10" is not a duration \(expected e\.g\. 10m, 1h30m\)/),
  c('a negative --max-runtime', fixed('backfill', '--all', '--max-runtime=-5m'), /--max-runtime "-5m" is not a duration/),
  c('--max-runtime of zero', fixed('validate', '--all', '--max-runtime', '0s'), /--max-runtime "0s" must be more than zero/),
  c('--timeout in words', fixed('--timeout', 'soon', 'backfill', '--all'), /--timeout "soon" is not a duration \(expected e\.g\. 30s, 2m\)/),
  c('--retries out of range', fixed('--retries', '21', 'users'), /--retries "21" must be a whole number from 0 to 20/),
  c('--retries that is not a number', fixed('--retries', '1.5', 'users'), /--retries "1\.5" must be a whole number from 0 to 20/),
  c('--concurrency out of range', fixed('backfill', '--all', '--concurrency', '100'), /--concurrency "100" must be a whole number from 1 to 64/),
  c('--shard 0/8', fixed('backfill', '--all', '--shard', '0/8'), /--shard "0\/8" must be I\/N, whole numbers with 1 ≤ I ≤ N ≤ 1024 \(e\.g\. 2\/8\)/),
  c('--shard 9/8', fixed('validate', '--all', '--shard', '9/8'), /--shard "9\/8" must be I\/N/),
  c('--shard in words', fixed('backfill', '--all', '--shard', 'first/half'), /--shard "first\/half" must be I\/N/),
  c('--sample of zero', fixed('validate', '--sample', '0'), /--sample "0" .*(expected|must)/),
  c('--sample over 100 %', fixed('validate', '--sample', '150%'), /--sample "150%" .*(expected|must)/),
  c('--sample that is no number', fixed('validate', '--sample', '5.5.5%'), /--sample "5\.5\.5%" must be a number of users from 1 to 10000000 \(e\.g\. 50\) or a share above 0% up to 100% \(e\.g\. 5%\)/),
  c('a negative --sample', fixed('validate', '--sample=-3'), /--sample "-3" .*(expected|must)/),
  c('a negative --tolerance', fixed('validate', '--tolerance=-1'), /--tolerance "-1" .*(expected|must)/),
  c('--tolerance in words', fixed('validate', '--tolerance', 'tight'), /--tolerance "tight" .*(expected|must)/),
  c('an unknown report format', fixed('validate', '--format', 'yaml'), /--format "yaml" .*table, json.*markdown/),
  c('an unknown --fail-on', fixed('validate', '--fail-on', 'sometimes'), /--fail-on "sometimes" .*drift.*missing.*any/),
  c('--max-diffs in words', fixed('validate', '--max-diffs', 'many'), /--max-diffs "many" .*(expected|must)/),
  c('--percent over 100', fixed('rollout', '--percent', '101'), /--percent "101" must be a percentage from 0 to 100 with at most two decimals/),
  c('a negative --percent', fixed('rollout', '--percent=-1'), /--percent "-1" must be a percentage from 0 to 100/),
  c('--percent with three decimals', fixed('rollout', '--percent', '12.345'), /--percent "12\.345" must be a percentage from 0 to 100 with at most two decimals/),
  c('--percent in words', fixed('rollout', '--percent', 'half'), /--percent "half" must be a percentage/),
  c('--percent lowered without --allow-shrink', fixed('rollout', '--percent', '1'), /lowering precomputed_aggregations from 5\.00% to 1\.00% takes users out of the rollout; pass --allow-shrink to confirm/),
  c('cleanup --stale-filters in words', fixed('cleanup', '--stale-filters', 'soon'), /--stale-filters "soon" .*(days|duration)/),
  c('cleanup --runs negative', fixed('cleanup', '--runs=-3'), /--runs "-3" .*(days|duration)/),
  c('cleanup --batch-size 0', fixed('cleanup', '--batch-size', '0'), /--batch-size "0" .*1.*1000/),
  c('cleanup --batch-size 5000', fixed('cleanup', '--batch-size', '5000'), /--batch-size "5000" .*1.*1000/),
  c('cleanup --as-of in words', fixed('cleanup', '--as-of', 'yesterday'), /--as-of "yesterday" is not an ISO-8601 instant/),
  c('archive --older-than in words', fixed('archive', '--table', 'runs', '--older-than', '3 months'), /--older-than "3 months" is not a duration \(expected e\.g\. 30d, 12w, 2160h, 0d \(everything eligible now\)\)/),
  c('an unknown archive table', fixed('archive', '--table', 'users'), /--table "users" is not an archivable table \(expected one of: watch_records/),
  // Conflicting flags and misuse
  c('--all with --changed', fixed('backfill', '--all', '--changed'), /choose exactly one of --user ID\.\.\., --all, --changed or --expiring/),
  c('--all with --sample', fixed('validate', '--all', '--sample', '5'), /--all.*--sample|--sample.*--all/),
  c('--dry-run without --repair', fixed('validate', '--dry-run'), /--dry-run goes with --repair/),
  c('--repair with --resume', fixed('validate', '--repair', '--resume', 'last'), /--repair cannot be combined with --resume/),
  c('--resume with --all', fixed('backfill', '--resume', 'last', '--all'), /--resume continues a run as it was started; drop --all/),
  c('--resume of a run that is not there', fixed('backfill', '--resume', 'bf-20990101-000000-abcdef'), /no backfill run bf-20990101-000000-abcdef in the ledger \(see agg runs\)/),
  c('--percent with --rollback', fixed('rollout', '--percent', '5', '--rollback'), /choose one of --percent, --rollback per run/),
  c('--history with --percent', fixed('rollout', '--history', '--percent', '5'), /choose one of .*--percent.*--history|--history.*--percent/),
  c('rollout --format markdown without --history', fixed('rollout', '--percent', '10', '--format', 'markdown'), /^agg: --format markdown only goes with --history$/),
  c('rollout --format xml', fixed('rollout', '--history', '--format', 'xml'), /^agg: --format "xml" is not valid \(expected one of: table, json, markdown\)$/),
  c('one user enabled and disabled', fixed('rollout', '--enable-user', 'u1', '--disable-user', 'u1'), /user u1 is named by more than one of --enable-user, --disable-user and --clear-user/),
  c('a rollback of a flag that does not exist', fixed('rollout', '--flag', 'no_such_flag', '--rollback'), /no_such_flag.*(does not exist|no flag)/),
  c('a flag name with spaces', fixed('rollout', '--flag', 'my flag', '--percent', '5'), /--flag "my flag" is not a flag name/),
  c('--list with --verify', fixed('archive', '--list', '--verify', 'x'), /choose one of --list, --verify per run/),
  c('watch records without --yes', fixed('archive', '--table', 'records', '--older-than', '1d'), /archiving watch records needs --yes to confirm; nothing was changed/),
  c('an unknown option', fixed('backfill', '--all', '--frobnicate'), /unknown option '--frobnicate' \(see agg --help\)/),
  c('an unknown command', fixed('frobnicate'), /unknown command 'frobnicate' \(see agg --help\)/),
  c('import without --user', (x) => ['import', x.file('r.jsonl', jsonl(RECORD))], /required option '--user <id>' not specified \(see agg --help\)/),
  c('an empty user id', (x) => ['import', x.file('r.jsonl', jsonl(RECORD)), '--user', ''], /--user "" is not a valid user id \(1–256 printable characters/),
  // Users the store does not know (the template holds u1 and u2)
  c('backfill of an unknown user', fixed('backfill', '--user', 'u11'), /^agg: --user u11 is not a known user: no records or stored results \(did you mean u1\?\); agg users lists the known users$/),
  c('validate of a known and an unknown user', fixed('validate', '--user', 'u1', 'x9'), /^agg: --user x9 is not a known user: no records or stored results; agg users lists the known users$/),
  c('rollout --enable-user of unknown users', fixed('rollout', '--enable-user', 'u11', 'u22'), /^agg: --enable-user names 2 unknown users, with no records or stored results: u11 \(did you mean u1\?\), u22 \(did you mean u2\?\); .*--allow-unknown accepts users with no data yet$/),
  c('rollout --check of an unknown user', fixed('rollout', '--check', 'U1'), /^agg: --check U1 is not a known user: no records or stored results \(did you mean u1\?\)/),
  // agg show and agg runs show
  c('show of an unknown user', fixed('show', 'u11'), /^agg: user u11 is not a known user: no records or stored results \(did you mean u1\?\); agg users lists the known users$/),
  c('show of an unknown type', fixed('show', 'u1', 'kpis'), /^agg: TYPE "kpis" is not an aggregation type; did you mean kpi\? \(the ten: kpi, monthly_trend, /),
  c('show with an unknown product', fixed('show', 'u1', 'kpi', '--product', 'Music'), /^agg: --product "Music" is not valid \(expected one of: All, YouTube, YouTube Music\)$/),
  c('show with an empty topic', fixed('show', 'u1', '--topic', ''), /^agg: --topic "" is empty: name a topic$/),
  c('show of a result that is not stored', fixed('show', 'u1', 'top_channels'), /^agg: u1 has no stored top_channels result for All\/All, nor for any other filter set; agg show u1 lists its results/, { code: 1 }),
  c('show on a store that does not exist', (x) => ['--local', join(x.dir, 'nowhere'), 'show', 'u1'], /^agg: no store at .*nowhere/),
  c('runs show of an unknown run', fixed('runs', 'show', 'bf-nope'), /^agg: no run bf-nope in the ledger \(agg runs lists the recent runs\)$/),
  c('runs show last of a command that never ran', fixed('runs', 'show', 'last', '--command', 'validate'), /^agg: no validate run in the ledger yet/),
  c('a user id with a newline', fixed('backfill', '--user', 'a\nb'), /--user "a\\nb" is not a valid user id \(1–256 printable characters/),
  // Configuration files
  c('a config file that is not JSON', (x) => (x.file('agg.config.json', '{"ttl": {"kpi": "1h",}}'), ['backfill', '--all']), /agg\.config\.json: not valid JSON/),
  c('an unknown config key', (x) => (x.file('agg.config.json', '{"ttll": {}}'), ['cleanup']), /agg\.config\.json: \(top level\): unknown key "ttll"/),
  c('a TTL that is not a duration', (x) => (x.file('agg.config.json', '{"ttl": {"kpi": "soon"}}'), ['backfill', '--all']), /agg\.config\.json: ttl\.kpi: "soon" is not a duration \(expected e\.g\. 30m, 2h/),
  c('a TTL for an unknown type', (x) => (x.file('agg.config.json', '{"ttl": {"kpis": "1h"}}'), ['backfill', '--all']), /agg\.config\.json: ttl: unknown key "kpis"/),
  c('cleanup.batchSize of zero in the config', (x) => (x.file('agg.config.json', '{"cleanup": {"batchSize": 0}}'), ['cleanup']), /agg\.config\.json: cleanup\.batchSize: .*1/),
  c('archive.rowsPerChunk too large', (x) => (x.file('agg.config.json', '{"archive": {"rowsPerChunk": 1000000}}'), ['archive', '--dry-run']), /agg\.config\.json: archive\.rowsPerChunk: .*100000/),
  c('a retention of "forever"', (x) => (x.file('agg.config.json', '{"archive": {"retention": {"watch_records": "forever"}}}'), ['archive', '--dry-run']), /archive\.retention\.watch_records: "forever" is neither a duration \(e\.g\. 30d, 12w\) nor "never"/),
  c('a config that is a list', (x) => (x.file('agg.config.json', '[]'), ['users']), /agg\.config\.json: \(top level\): .*object/),
  c('--config that does not exist', (x) => ['--config', join(x.dir, 'missing.json'), 'users'], /missing\.json: no such config file/),
  c('--config that is a directory', (x) => ['--config', x.dir, 'users'], /: cannot read the config file \(.*EISDIR/),
  // Where the data lives
  c('--local through a file', (x) => ['--local', join(x.file('plain.txt', 'x'), 'store'), 'users'], /plain\.txt\/store.*(not a directory|a file is in the way)/, { code: 3 }),
  c('--local whose database is garbage', (x) => (mkdirSync(join(x.dir, 'garbage')), x.file('garbage/agg.db', 'this is not a database at all, just text'.repeat(100)), ['--local', join(x.dir, 'garbage'), 'users']), /garbage\/agg\.db is a file of 4,000 bytes, not an SQLite database; agg will not start a new store over it/, {
    code: 3,
    after: untouched,
  }),
  // A store file that is empty or damaged: refused with the file named, never started afresh over it
  c('a 0-byte agg.db, read', (x) => ['--local', badStore(x, 'zero', () => undefined), 'users', '--json'], /^agg: store error: the embedded store \S+\/zero\/agg\.db is empty \(0 bytes\), not an SQLite database; .*restore it from a backup/, { code: 3, after: untouched }),
  c('a 0-byte agg.db, written', (x) => ['--local', badStore(x, 'zero', () => undefined), 'import', x.file('r.jsonl', jsonl(RECORD)), '--user', 'u9'], /zero\/agg\.db is empty \(0 bytes\), not an SQLite database/, { code: 3, after: untouched }),
  c('a text file named agg.db', (x) => ['--local', badStore(x, 'notes', (path) => writeFileSync(path, 'meeting notes\n')), 'backfill', '--all'], /notes\/agg\.db is a file of 14 bytes, not an SQLite database/, { code: 3, after: untouched }),
  c('a store with a corrupted page', (x) => ['--local', badStore(x, 'corrupt', corruptPage), 'import', x.file('r.jsonl', jsonl(RECORD)), '--user', 'u9'], /corrupt\/agg\.db is damaged \((PRAGMA quick_check: .+|database disk image is malformed)\); restore it from a backup \(archived rows come back with agg archive --restore\)$/, { code: 3, after: untouched }),
  c('rollout on a store with a corrupted page', (x) => ['--local', badStore(x, 'corrupt', corruptPage), 'rollout', '--percent', '10', '--actor', 'ci'], /corrupt\/agg\.db is damaged \(/, { code: 3, after: untouched }),
  c('a store without its agg_runs table', (x) => ['--local', badStore(x, 'no-runs', dropRuns), 'backfill', '--all'], /^agg: store error: the embedded store \S+\/no-runs\/agg\.db is damaged \(its table agg_runs is missing\); restore it from a backup/, { code: 3, after: untouched }),
  c('--local whose database is a directory', (x) => (mkdirSync(join(x.dir, 'odd', 'agg.db'), { recursive: true }), ['--local', join(x.dir, 'odd'), 'users']), /cannot open the embedded store at .*odd\/agg\.db/, { code: 3 }),
  c('a read-only local store directory', (x) => (mkdirSync(join(x.dir, 'ro')), chmodSync(join(x.dir, 'ro'), 0o555), ['--local', join(x.dir, 'ro'), 'backfill', '--all']), /ro.*(read-only|permission denied)/, {
    code: 3,
    skip: IS_ROOT ? 'running as root, which writes into any directory whatever its mode' : undefined,
  }),
  c('an empty --local', fixed('--local', '', 'users'), /the local store directory is empty/),
  c('--local with --url', fixed('--local', 'x', '--url', 'http://127.0.0.1:9', 'users'), /--local selects the embedded store; it cannot be combined with --url or --admin-key/),
  c('--url that is not a URL', fixed('--url', 'not a url', '--admin-key', 'dev:x|0123456789abcdef', 'users'), /--url "not a url" is not a URL/),
  c('a preview key without a URL', fixed('--admin-key', 'preview:team:branch|0123456789abcdef', 'users'), /no deployment URL could be derived from it; set CONVEX_URL or pass --url/),
  c('--env-file that does not exist', (x) => ['--env-file', join(x.dir, 'missing.env'), 'backfill', '--all'], /--env-file .*missing\.env: no such file$/),
  c('--env-file that is a directory', (x) => (mkdirSync(join(x.dir, 'env-dir')), ['--env-file', join(x.dir, 'env-dir'), 'users']), /--env-file .*env-dir: is a directory, not a dotenv file/),
  c('a deploy key and a URL of different deployments', fixed('--url', 'https://other-deploy-7.convex.cloud', '--admin-key', 'dev:happy-animal-123|0123456789abcdef', 'users'), /the deploy key is for the deployment happy-animal-123 but the URL https:\/\/other-deploy-7\.convex\.cloud \(from --url\) is the deployment other-deploy-7/),
  c('a Convex app (convex/) without a deploy key', (x) => (mkdirSync(join(x.dir, 'convex')), ['backfill', '--all']), /this directory is a Convex app \(convex\/ found\) but no deploy key is set: set CONVEX_DEPLOY_KEY/),
  c('a Convex app (VITE_CONVEX_URL in .env.local) without a deploy key', (x) => (x.file('.env.local', 'VITE_CONVEX_URL=https://happy-animal-123.convex.cloud\n'), ['rollout', '--percent', '10']), /this directory is a Convex app \(VITE_CONVEX_URL in \.env\.local: .*\) but no deploy key is set/),
  c('a production CONVEX_DEPLOYMENT without --prod', (x) => (x.file('.env.local', 'CONVEX_DEPLOYMENT=prod:serious-otter-456\n'), ['--admin-key', 'serious-otter-456|0123456789abcdef', 'cleanup']), /CONVEX_DEPLOYMENT in \.env\.local says serious-otter-456 is the production deployment .*pass --prod to confirm/),
  c('a CONVEX_DEPLOYMENT that is no deployment', (x) => (x.file('.env.local', 'CONVEX_DEPLOYMENT=dev:two words\n'), ['users']), /CONVEX_DEPLOYMENT in \.env\.local "dev:two words" is not a deployment \(expected e\.g\. dev:happy-animal-123\)/),
  // Archives: destinations that cannot take them, chunks and manifests that are damaged
  c('an archive --out under a file', (x) => ['archive', '--table', 'runs', '--older-than', '1d', '--out', join(x.file('plain.txt', 'x'), 'archive')], /plain\.txt\/archive: cannot create the archive directory: \S*plain\.txt is a file, not a directory \(choose another --out\)$/),
  c('an archive --out under /dev/null, with nothing to archive', () => ['archive', '--table', 'runs', '--older-than', '1000w', '--out', '/dev/null/x'], /^agg: \/dev\/null\/x: cannot create the archive directory: \/dev\/null is a file, not a directory/),
  c('an empty archive --out', () => ['archive', '--table', 'runs', '--older-than', '1d', '--out', ''], /--out needs a directory/),
  c('an archive destination that fills up', (x) => ['archive', '--table', 'runs', '--older-than', '1d', '--out', join(x.dir, 'full')], /full\/.*cannot write: no space left on the device/, {
    code: 3,
    failedRun: 'archive',
    before: () => {
      disk.full = true;
    },
    after: () => {
      disk.full = false;
    },
  }),
  c('an archive directory that is not writable', (x) => (mkdirSync(join(x.dir, 'ro-archive')), chmodSync(join(x.dir, 'ro-archive'), 0o555), ['archive', '--table', 'runs', '--older-than', '1d', '--out', join(x.dir, 'ro-archive')]), /ro-archive.*permission denied \(choose another --out\)/, {
    skip: IS_ROOT ? 'running as root, which writes into any directory whatever its mode' : undefined,
  }),
  c('a manifest that is not JSON', (x) => (writeFileSync(join(x.archiveDir, 'manifest.json'), '{"manifestId": "arc-'), ['archive', '--restore', join(x.archiveDir, 'manifest.json')]), /fails verification, nothing was restored: manifest\.json is not valid JSON \(/, { code: 1 }),
  c('a chunk that was altered', (x) => (corruptChunk(x.archiveDir), ['archive', '--restore', x.archiveDir]), /chunk-00001\.jsonl\.gz.*(SHA-256|checksum|damaged)/, { code: 1 }),
  c('a chunk that is missing', (x) => (removeChunk(x.archiveDir), ['archive', '--restore', x.archiveDir]), /chunk-00001\.jsonl\.gz.*(missing|not found|no such)/, { code: 1 }),
  c('a directory without a manifest', (x) => (mkdirSync(join(x.dir, 'empty-archive')), ['archive', '--restore', join(x.dir, 'empty-archive')]), /empty-archive: not an archive \(no manifest\.json in it, and this store has no archive empty-archive\)/),
  c('an archive id that is not there', fixed('archive', '--verify', 'arc-20990101T000000000Z-abcdef'), /no archive arc-20990101T000000000Z-abcdef in this store \(see agg archive --list\)/),
  // Sizes: input files, grids and configs are bounded, checked from the size before reading and while reading
  c('an input file over --max-input-size', (x) => ['--max-input-size', '1KiB', 'import', x.file('big.jsonl', jsonl(...Array.from({ length: 40 }, (_, i) => ({ ...RECORD, id: `r${i}` })))), '--user', 'u9'], /big\.jsonl: \d\.\d KiB \([\d,]+ bytes\) is over the input size limit of 1 KiB \(raise it with --max-input-size 1MiB or AGG_MAX_INPUT_BYTES\)/),
  c('a Takeout export over AGG_MAX_INPUT_BYTES', (x) => ['parse', x.file('watch-history.json', TAKEOUT_JSON)], /watch-history\.json: \d+ B is over the input size limit of 100 B \(raise it with --max-input-size 1MiB or AGG_MAX_INPUT_BYTES\)/, { env: { AGG_MAX_INPUT_BYTES: '100' } }),
  c('a stream that goes on past the limit', fixed('--max-input-size', '64KiB', 'compute', '/dev/zero'), /\/dev\/zero: more than 64 KiB \(still reading\) is over the input size limit of 64 KiB/),
  c('--max-input-size in words', (x) => ['--max-input-size', 'lots', 'import', x.file('r.jsonl', jsonl(RECORD)), '--user', 'u9'], /--max-input-size "lots" must be a size from 1 B to 4 GiB \(e\.g\. 4GiB, 500MB, or a number of bytes\)/),
  c('--max-input-size over 4 GiB', (x) => ['--max-input-size', '5GiB', 'compute', x.file('r.jsonl', jsonl(RECORD))], /--max-input-size "5GiB" must be a size from 1 B to 4 GiB/),
  c('AGG_MAX_INPUT_BYTES that is no size', (x) => ['import', x.file('r.jsonl', jsonl(RECORD)), '--user', 'u9'], /AGG_MAX_INPUT_BYTES "1e9" must be a size from 1 B to 4 GiB/, { env: { AGG_MAX_INPUT_BYTES: '1e9' } }),
  c('a grid file over 1 MiB', (x) => ['backfill', '--all', '--grid', x.file('grid.json', JSON.stringify([{ timeframe: 'All', topics: Array.from({ length: 100_000 }, (_, i) => `topic ${i}`) }]))], /--grid .*grid\.json: 1\.\d MiB is over the 1 MiB limit for a grid file \(no grid file needs more\)$/),
  c('a config file over 1 MiB', (x) => (x.file('agg.config.json', `{"$schema": "${'x'.repeat(1_100_000)}"}`), ['users']), /agg\.config\.json: 1\.\d MiB is over the 1 MiB limit for a config file \(no config file needs more\)$/),
  c('a grid of 201 filter sets', (x) => ['validate', '--grid', x.file('grid.json', JSON.stringify(Array.from({ length: 201 }, (_, i) => ({ topics: [`t${i}`] }))))], /--grid .*grid\.json: 201 filter sets, over the limit of 200 per grid/),
  // JSON nested deeper than 64 levels: refused with one line, never a stack overflow
  c('a grid file nested 65 deep', (x) => ['backfill', '--all', '--grid', x.file('grid.json', `[{"topics": ${'['.repeat(64)}${']'.repeat(64)}}]`)], /--grid .*grid\.json: nested deeper than 64 levels of arrays and objects/),
  c('a config nested 100,000 deep', (x) => (x.file('agg.config.json', `{"ttl": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`), ['users']), /agg\.config\.json: nested deeper than 64 levels/),
  c('a JSON Lines record nested 100,000 deep', (x) => ['import', x.file('deep.jsonl', `${JSON.stringify(RECORD)}\n{"id": "r2", "topics": ${'['.repeat(100_000)}${']'.repeat(100_000)}}\n`), '--user', 'u9'], /deep\.jsonl:2: nested deeper than 64 levels/),
  c('a records array nested 100,000 deep', (x) => ['compute', x.file('deep.json', `[${JSON.stringify(RECORD)}, {"id": "r2", "topics": ${'['.repeat(100_000)}${']'.repeat(100_000)}}]`)], /deep\.json: record 2 \(line 1, column \d+\) is nested deeper than 64 levels/),
  c('a Takeout entry nested 100,000 deep', (x) => ['import', x.file('watch-history.json', `[${JSON.stringify({ ...takeoutEntry('2025-06-01T10:00:00.000Z'), subtitles: 'X' }).replace('"X"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`)}]`), '--user', 'u9'], /watch-history\.json: entry 1 \(line 1, column 2\) is nested deeper than 64 levels/),
  // Durations and instants: range-checked where they are parsed
  c('a --timeout longer than a timer can wait', fixed('--timeout', '25d', 'users'), /--timeout "25d" is not a duration from 1ms to 24d20h31m23s647ms \(2\^31−1 ms, the longest timer; expected e\.g\. 30s, 2m\)/),
  c('a --timeout of 10^20 seconds', fixed('--timeout', '100000000000000000000s', 'backfill', '--all'), /--timeout "100000000000000000000s" is not a duration from 1ms to 24d20h31m23s647ms/),
  c('a --max-runtime over 36,500 days', fixed('backfill', '--all', '--max-runtime', '40000d'), /--max-runtime "40000d" is not a duration from 1ms to 36500d \(expected e\.g\. 10m, 1h30m\)/),
  c('archive --older-than of a million years', fixed('archive', '--table', 'runs', '--older-than', '52000000w'), /--older-than "52000000w" is not a duration from 0s to 36500d/),
  c('cleanup --change-log of 36,501 days', fixed('cleanup', '--change-log', '36501'), /--change-log "36501" must be a number of days from 0 to 36500 \(e\.g\. 30\) or a duration up to 36500d/),
  c('a --max-runtime of zero', fixed('backfill', '--all', '--max-runtime', '0s'), /--max-runtime "0s" must be more than zero: a run with no time would stop before its first user/),
  c('a TTL of zero in the config', (x) => (x.file('agg.config.json', '{"ttl": {"kpi": "0m"}}'), ['backfill', '--all']), /agg\.config\.json: ttl\.kpi: "0m" must be more than zero/),
  c('a TTL of 40,000 days in the config', (x) => (x.file('agg.config.json', '{"ttl": {"kpi": "40000d"}}'), ['backfill', '--all']), /agg\.config\.json: ttl\.kpi: "40000d" is not a duration from 1ms to 36500d/),
  c('--as-of in year 0', fixed('backfill', '--all', '--as-of', '0000-12-31T00:00:00Z'), /--as-of "0000-12-31T00:00:00Z" is not an instant from 0001-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z \(years 1 to 9999\)/),
  c('--as-of that an offset carries past 9999', (x) => ['compute', x.file('r.jsonl', jsonl(RECORD)), '--as-of', '9999-12-31T23:00:00-05:00'], /--as-of "9999-12-31T23:00:00-05:00" is not an instant from 0001-01-01T00:00:00\.000Z to 9999-12-31T23:59:59\.999Z/),
  c('cleanup --as-of in year 10000', fixed('cleanup', '--as-of', '+010000-01-01T00:00:00Z'), /--as-of "\+010000-01-01T00:00:00Z" is not an instant from 0001-01-01/),
  c('a record watched in year 0', (x) => ['import', x.file('r.jsonl', jsonl({ ...RECORD, watchedAt: '0000-06-01T10:00:00Z' })), '--user', 'u9'], /r\.jsonl:1: invalid record: watchedAt: must be an ISO-8601 instant.*\(got "0000-06-01T10:00:00Z"\)/),
  // Options whose value is another option
  c('backfill --user --all', fixed('backfill', '--user', '--all'), /^agg: --user needs a value; got the option --all$/),
  c('import --user --dry-run', (x) => ['import', x.file('r.jsonl', jsonl(RECORD)), '--user', '--dry-run'], /^agg: --user needs a value; got the option --dry-run$/),
  c('validate --grid --all', fixed('validate', '--grid', '--all'), /^agg: --grid needs a value; got the option --all$/),
  c('--config --quiet', fixed('--config', '--quiet', 'users'), /^agg: --config needs a value; got the option --quiet$/),
  c('rollout --enable-user --plan', fixed('rollout', '--enable-user', '--plan'), /^agg: --enable-user needs a value; got the option --plan$/),
  c('--timeout -h', fixed('--timeout', '-h', 'users'), /^agg: --timeout needs a value; got the option -h$/),
  c('import with two users', (x) => ['import', x.file('r.jsonl', jsonl(RECORD)), '--user', 'u8', 'u9'], /unexpected argument "u9": import reads one FILE for one --user ID per run/),
  // Numbers: one parser, one message shape, for every numeric option
  c('--concurrency 1e3', fixed('backfill', '--all', '--concurrency', '1e3'), /^agg: --concurrency "1e3" must be a whole number from 1 to 64$/),
  c('--concurrency 0x10', fixed('validate', '--concurrency', '0x10'), /^agg: --concurrency "0x10" must be a whole number from 1 to 64$/),
  c('--concurrency with a space', fixed('backfill', '--all', '--concurrency', ' 5'), /^agg: --concurrency " 5" must be a whole number from 1 to 64$/),
  c('--retries +5', fixed('--retries', '+5', 'users'), /^agg: --retries "\+5" must be a whole number from 0 to 20$/),
  c('an empty --retries', fixed('--retries', '', 'users'), /^agg: --retries "" must be a whole number from 0 to 20$/),
  c('--limit 5.', fixed('runs', '--limit', '5.'), /^agg: --limit "5\." must be a whole number from 1 to 1000$/),
  c('rollout --limit 1001', fixed('rollout', '--history', '--limit', '1001'), /^agg: --limit "1001" must be a whole number from 1 to 1000$/),
  c('--batch-size -0', fixed('cleanup', '--batch-size=-0'), /^agg: --batch-size "-0" must be a whole number from 1 to 1000 \(rows per deleting call\)$/),
  c('--max-diffs Infinity', fixed('validate', '--max-diffs', 'Infinity'), /^agg: --max-diffs "Infinity" must be a whole number from 0 to 10000$/),
  c('--max-diffs 010', fixed('validate', '--max-diffs', '010'), /^agg: --max-diffs "010" must be a whole number from 0 to 10000$/),
  c('--tolerance NaN', fixed('validate', '--tolerance', 'NaN'), /^agg: --tolerance "NaN" must be a number from 0 to 1 \(relative; e\.g\. 1e-9, 0\.001\)$/),
  c('--tolerance 2', fixed('validate', '--tolerance', '2'), /^agg: --tolerance "2" must be a number from 0 to 1/),
  c('--sample 1e3', fixed('validate', '--sample', '1e3'), /^agg: --sample "1e3" must be a number of users from 1 to 10000000 \(e\.g\. 50\) or a share above 0% up to 100% \(e\.g\. 5%\)$/),
  c('--sample 0%', fixed('validate', '--sample', '0%'), /^agg: --sample "0%" must be a number of users .* or a share above 0% up to 100%/),
  c('--percent 0x10', fixed('rollout', '--percent', '0x10'), /^agg: --percent "0x10" must be a percentage from 0 to 100 with at most two decimals/),
  c('--percent with a space', fixed('rollout', '--percent', ' 5'), /^agg: --percent " 5" must be a percentage from 0 to 100/),
  c('--rollback-on-drift Infinity%', fixed('validate', '--rollback-on-drift', 'Infinity%'), /^agg: --rollback-on-drift "Infinity%" must be a percentage from 0% to 100%/),
  c('--shard 1/08', fixed('backfill', '--all', '--shard', '1/08'), /^agg: --shard "1\/08" must be I\/N, whole numbers with 1 ≤ I ≤ N ≤ 1024/),
  c('--shard 1/2/3', fixed('validate', '--shard', '1/2/3'), /^agg: --shard "1\/2\/3" must be I\/N/),
];

/** What badStore wrote, to check that agg left it byte for byte (and added no -wal or -shm beside it). */
const badStores = new Map<string, { path: string; bytes: Buffer }>();

/** DIR/NAME/agg.db made from a copy of the case's store by `damage` (nothing but `damage` when it has none); returns DIR/NAME. */
function badStore(ctx: Ctx, name: string, damage: (path: string) => void): string {
  const dir = join(ctx.dir, name);
  mkdirSync(dir);
  const path = join(dir, 'agg.db');
  writeFileSync(path, '');
  damage(path);
  badStores.set(ctx.dir, { path, bytes: readFileSync(path) });
  return dir;
}

function untouched(ctx: Ctx): void {
  const made = badStores.get(ctx.dir);
  const path = made?.path ?? join(ctx.dir, 'garbage', 'agg.db');
  const bytes = made?.bytes ?? Buffer.from('this is not a database at all, just text'.repeat(100));
  expect(readFileSync(path).equals(bytes)).toBe(true);
  expect(readdirSync(join(path, '..'))).toEqual(['agg.db']);
}

/** A copy of the template's store with page 2 overwritten. */
function corruptPage(path: string): void {
  const bytes = readFileSync(join(path, '..', '..', '.agg', 'agg.db'));
  bytes.fill(0x5a, 4096, 8192);
  writeFileSync(path, bytes);
}

function dropRuns(path: string): void {
  cpSync(join(path, '..', '..', '.agg', 'agg.db'), path);
  const db = new Database(path);
  db.exec('DROP TABLE agg_runs');
  db.close();
}

function corruptChunk(archiveDir: string): void {
  const path = join(archiveDir, 'chunk-00001.jsonl.gz');
  const bytes = readFileSync(path);
  bytes[bytes.length - 12] ^= 0xff;
  writeFileSync(path, bytes);
}

function removeChunk(archiveDir: string): void {
  renameSync(join(archiveDir, 'chunk-00001.jsonl.gz'), join(archiveDir, 'moved-away.bin'));
}

/** Every row of every table of an embedded store, as text (null when there is no store). */
function dumpStore(dir: string): string | null {
  let db: Database.Database;
  try {
    db = new Database(join(dir, 'agg.db'), { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return JSON.stringify(Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all().map((row) => JSON.stringify(row)).sort()])));
  } finally {
    db.close();
  }
}

let template = '';
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'agg-corpus-template-'));
  const records = join(template, 'seed.jsonl');
  writeFileSync(records, jsonl(RECORD, { ...RECORD, id: 'r2', watchedAt: '2020-01-01T00:00:00.000Z' }));
  const at = (minutes: number) => () => NOW + minutes * 60_000;
  const must = async (args: string[], now: () => number) => {
    const run = await runAgg(args, { cwd: template, now });
    if (run.code !== 0) throw new Error(`template: agg ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  };
  await must(['import', records, '--user', 'u1'], at(-3 * 24 * 60));
  await must(['import', records, '--user', 'u2'], at(-3 * 24 * 60));
  await must(['backfill', '--all', '--type', 'kpi'], at(-3 * 24 * 60));
  await must(['rollout', '--percent', '5', '--actor', 'seed'], at(-60));
  await must(['backfill', '--user', 'u1', '--type', 'kpi', '--force'], at(-2 * 24 * 60));
  // Archive the first ledger row (finished three days ago): an archive for the corruption cases.
  await must(['archive', '--table', 'runs', '--older-than', '2d5h'], at(0));
});

function context(): Ctx {
  const dir = mkdtempSync(join(tmpdir(), 'agg-corpus-'));
  cpSync(template, dir, { recursive: true });
  const [archiveId] = readdirSync(join(dir, 'archive'));
  return {
    dir,
    archiveDir: join(dir, 'archive', archiveId!),
    file: (name, content) => {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
  };
}

/** A store dump without the one failed ledger row of `command` it must hold (none asked: the dump as it is). */
function withoutFailedRun(dump: string | null, command: string | undefined): string | null {
  if (command === undefined || dump === null) return dump;
  const tables = JSON.parse(dump) as Record<string, string[]>;
  const failed = tables.agg_runs!.filter((row) => {
    const run = JSON.parse(row) as { command: string; status: string };
    return run.command === command && run.status === 'failed';
  });
  expect(failed, `one failed ${command} run in the ledger`).toHaveLength(1);
  return JSON.stringify({ ...tables, agg_runs: tables.agg_runs!.filter((row) => row !== failed[0]) });
}

/** The lines a run wrote to stderr besides where it works, warnings and progress. */
function messages(run: CliRun): string[] {
  return run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('agg: using the ') && !line.startsWith('agg: warning: '));
}

describe('the bad-input corpus', () => {
  it('has at least 60 cases, each with its own name', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(new Set(CASES.map((k) => k.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((k) => [k.name, k] as const))('%s: one line, the right exit code, no trace, nothing written', async (_name, k) => {
    if (k.skip) {
      console.log(`skipped "${k.name}": ${k.skip}`);
      return;
    }
    const ctx = context();
    const args = k.args(ctx);
    const before = dumpStore(join(ctx.dir, '.agg'));
    k.before?.(ctx);
    let run: CliRun;
    try {
      run = await runAgg(args, { cwd: ctx.dir, now: () => NOW, ...(k.env ? { env: k.env } : {}) });
    } finally {
      k.after?.(ctx);
    }
    const lines = messages(run);
    expect(lines, `${run.stderr}\n${run.stdout}`).toHaveLength(1);
    expect(lines[0]).toMatch(/^agg: /);
    expect(lines[0]).toMatch(k.message);
    expect(lines[0]!.length).toBeLessThan(400);
    expect(run.code, run.stderr).toBe(k.code ?? 2);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    if (k.code !== 1) expect(run.stdout).toBe('');
    expect(withoutFailedRun(dumpStore(join(ctx.dir, '.agg')), k.failedRun)).toBe(before);
  });

  it('keeps the watches of an export whose time is impossible undated (never shifted to another day), and import says so', async () => {
    // Takeout's own times are kept as the export has them: a time that is no instant makes the watch
    // undated, with the reason in the report (agg parse); it is not an error, and it is never guessed.
    const cases: Array<[string, string, string]> = [
      ['w.json', JSON.stringify([takeoutEntry('2025-02-30T10:00:00.000Z', 'One'), takeoutEntry('yesterday', 'Two'), takeoutEntry('2025-06-02T10:00:00.000Z', 'Three')]), 'not an ISO-8601 instant: 2'],
      ['w.html', TAKEOUT_HTML.replace('Jun 1, 2025', 'Feb 30, 2025'), 'invalid date or time: 1'],
    ];
    for (const [name, content, reasons] of cases) {
      const ctx = context();
      const run = await runAgg(['import', ctx.file(name, content), '--user', 'u7', '--json'], { cwd: ctx.dir, now: () => NOW });
      expect(run.code, run.stderr).toBe(0);
      expect(messages(run)).toEqual([]);
      expect(run.stderr).toMatch(new RegExp(`agg: warning: \\d of \\d watches in .*${name.replace('.', '\\.')} have no usable time and are stored undated \\(${reasons}\\)`));
      const store = new Database(join(ctx.dir, '.agg', 'agg.db'), { readonly: true });
      const stored = store.prepare("SELECT watched_at AS watchedAt FROM watch_records WHERE user_id = 'u7'").all() as Array<{ watchedAt: string | null }>;
      store.close();
      expect(stored.map((r) => r.watchedAt).sort()).not.toContain('2025-03-02T10:00:00.000Z');
      expect(stored.filter((r) => r.watchedAt === null)).toHaveLength(name.endsWith('json') ? 2 : 1);
    }
  });

  it('prints the stack trace with --debug, and only then', async () => {
    const ctx = context();
    const plain = await runAgg(['--timeout', 'soon', 'users'], { cwd: ctx.dir });
    const debug = await runAgg(['--debug', '--timeout', 'soon', 'users'], { cwd: ctx.dir });
    expect(plain.stderr).not.toMatch(/^\s+at /m);
    expect(debug.stderr.split('\n')[0]).toBe(plain.stderr.split('\n')[0]);
    expect(debug.stderr).toMatch(/^\s+at /m);
  });
});
