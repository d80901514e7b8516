import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { AGGREGATION_TYPES, type AggregationType } from '../core/aggregations/definition.js';
import { DEFAULT_GRID, type Filters, filterHash } from '../core/filters.js';
import { canonicalJson } from '../core/json.js';
import { aggregationVersion } from '../core/registry.js';
import { withStore } from '../cli/context.js';
import { ExitCode, FindingsError } from '../cli/errors.js';
import { describeFilters, formatBytes, formatDuration } from '../cli/format.js';
import type { CommandIo } from '../cli/io.js';
import { narrowsFilters, parseAggregationType, parseFilterOptions } from '../cli/options.js';
import { compactSpan, plainTable, truncate } from '../cli/plain-table.js';
import { prettyJson } from '../cli/pretty-json.js';
import { summarizeResult } from '../cli/summaries.js';
import { parseUserId } from '../cli/user-id.js';
import type { AggregationDigest, StoredAggregation, UserSummary } from '../store/types.js';
import type { Store } from '../store/store.js';
import { requireKnownUsers } from '../users/known-users.js';
import { Argument } from '@commander-js/extra-typings';
import { PRODUCT_FILTERS, TIMEFRAMES } from '../core/filters.js';
import { helpFooter, option, repeatable, suggests } from '../cli/help.js';
import { type DocumentOf, jsonText } from '../cli/json-schemas/common.js';
import { showListDocument, showResultDocument } from '../cli/json-schemas/show.js';

// `agg show USER [TYPE]`: what the store holds for one user, as the app would serve it. With TYPE, one
// stored result (its metadata and its data); without, the list of the user's stored results.

/** Options as commander infers them from the declarations in declareShow. */
type ShowOptions = ReturnType<ReturnType<typeof declareShow>['opts']>;

const n = (value: number): string => value.toLocaleString('en-US');
const plural = (count: number, word: string): string => `${n(count)} ${word}${count === 1 ? '' : 's'}`;

/** "in 28m05s" or "expired 3h10m ago", from now. */
function expiry(expiresAt: string, now: number): string {
  const left = Date.parse(expiresAt) - now;
  return left >= 0 ? `in ${formatDuration(left)}` : `expired ${formatDuration(-left)} ago`;
}

/** Past expiresAt (as agg status and rollout --check count it): the app no longer serves it. */
const isExpired = (expiresAt: string, now: number): boolean => Date.parse(expiresAt) < now;

// One stored result

function resultJson(stored: StoredAggregation, now: number): string {
  const head: Omit<DocumentOf<typeof showResultDocument>, 'data'> = {
    schema: 'agg.show.result/v1',
    userId: stored.userId,
    type: stored.aggregationType,
    filters: stored.filters,
    filterHash: stored.filterHash,
    version: stored.version,
    currentVersion: aggregationVersion(stored.aggregationType),
    asOf: stored.asOf,
    timeZone: stored.timeZone,
    computedAt: stored.computedAt,
    expiresAt: stored.expiresAt,
    expired: isExpired(stored.expiresAt, now),
    bytes: stored.metadata.bytes,
    dataHash: stored.dataHash,
    recordCount: stored.metadata.recordCount,
    computeMs: stored.metadata.computeMs,
  };
  // The data as stored: its canonical JSON text.
  return `${JSON.stringify(head).slice(0, -1)},"data":${canonicalJson(stored.data)}}`;
}

function renderResult(stored: StoredAggregation, now: number): string {
  const current = aggregationVersion(stored.aggregationType);
  const version = stored.version === current ? `${stored.version} (current)` : `${stored.version} (outdated: agg computes version ${current}; the app does not serve it)`;
  const computed = Date.parse(stored.computedAt);
  let summary: string;
  try {
    summary = summarizeResult(stored.aggregationType, stored.data);
  } catch {
    summary = '(no summary for data of this shape)';
  }
  const rows: [string, string][] = [
    ['version', version],
    ['as of', stored.asOf],
    ['time zone', stored.timeZone],
    ['computed at', `${stored.computedAt} (${formatDuration(Math.max(0, now - computed))} ago)`],
    ['expires at', `${stored.expiresAt} (${expiry(stored.expiresAt, now)})`],
    ['size', `${n(stored.metadata.bytes)} bytes (${formatBytes(stored.metadata.bytes)}) of canonical JSON`],
    ['data hash', stored.dataHash],
    ['filter hash', stored.filterHash],
    ['records', `${n(stored.metadata.recordCount)} (computed in ${formatDuration(stored.metadata.computeMs)})`],
    ['summary', summary],
  ];
  const label = Math.max(...rows.map(([name]) => name.length)) + 2;
  return [`${stored.userId} · ${stored.aggregationType} · ${describeFilters(stored.filters)}`, ...rows.map(([name, value]) => `${name.padEnd(label)}${value}`), 'data:', prettyJson(stored.data)].join('\n');
}

async function showResult(store: Store, userId: string, type: AggregationType, filters: Filters, io: CommandIo, json: boolean): Promise<number> {
  const stored = await store.readAggregation({ userId, aggregationType: type, filterHash: filterHash(filters) });
  const now = io.now();
  if (stored === null) {
    const ofType = (await store.listDigests(userId)).filter((digest) => digest.aggregationType === type).length;
    const others = ofType === 0 ? `, nor for any other filter set` : ` (it has ${n(ofType)} for other filter sets)`;
    throw new FindingsError(`${userId} has no stored ${type} result for ${describeFilters(filters)}${others}; agg show ${userId} lists its results, agg backfill --user ${userId} computes them`);
  }
  io.stdout.write(`${json ? resultJson(stored, now) : renderResult(stored, now)}\n`);
  return ExitCode.ok;
}

// The list of a user's stored results

/** A stored result's row: its digest and, where known, its filter set (the grid's or one the app recorded). */
interface Listed {
  readonly digest: AggregationDigest;
  readonly filters: Filters | null;
  /** Sorts rows: the grid in its order, then the user's combinations, then unknown filter sets. */
  readonly rank: [number, string];
}

async function listedResults(store: Store, userId: string, only: Filters | null): Promise<Listed[]> {
  const [digests, combinations] = await Promise.all([store.listDigests(userId), store.listFilterCombinations(userId)]);
  const known = new Map<string, { filters: Filters; rank: [number, string] }>();
  for (const combination of combinations) known.set(combination.filterHash, { filters: combination.filters, rank: [1, describeFilters(combination.filters)] });
  DEFAULT_GRID.forEach((filters, i) => known.set(filterHash(filters), { filters, rank: [0, String(i).padStart(4, '0')] }));
  const wanted = only === null ? null : filterHash(only);
  return digests
    .filter((digest) => wanted === null || digest.filterHash === wanted)
    .map((digest) => {
      const entry = known.get(digest.filterHash);
      return { digest, filters: entry?.filters ?? null, rank: entry?.rank ?? [2, digest.filterHash] };
    })
    .sort(
      (a, b) =>
        a.rank[0] - b.rank[0] ||
        (a.rank[1] < b.rank[1] ? -1 : a.rank[1] > b.rank[1] ? 1 : 0) ||
        AGGREGATION_TYPES.indexOf(a.digest.aggregationType) - AGGREGATION_TYPES.indexOf(b.digest.aggregationType),
    );
}

/** The widest filter set the list shows in place (Last12M/YouTube Music); longer ones get a note. */
const FILTERS_WIDTH = 21;

/**
 * The filters column: the filter set, a note number for one too long to fit (spelled out under the
 * table), or the start of its hash when agg no longer knows which it was.
 */
function filterCells(listed: readonly Listed[]): { cells: string[]; notes: string[] } {
  const noted = new Map<string, number>();
  const notes: string[] = [];
  const cells = listed.map((entry) => {
    if (entry.filters === null) return `#${entry.digest.filterHash.slice(0, 12)}`;
    const text = describeFilters(entry.filters);
    if (text.length <= FILTERS_WIDTH) return text;
    let note = noted.get(entry.digest.filterHash);
    if (note === undefined) {
      note = notes.length + 1;
      noted.set(entry.digest.filterHash, note);
      notes.push(truncate(`[${note}] ${text}`, 80));
    }
    return `[${note}]`;
  });
  return { cells, notes };
}

function listJson(userId: string, user: UserSummary | null, only: Filters | null, listed: readonly Listed[], now: number): string {
  return jsonText(showListDocument, {
    schema: 'agg.show/v1',
    userId,
    records: user?.recordCount ?? 0,
    filters: only,
    results: listed.map(({ digest, filters }) => ({
      type: digest.aggregationType,
      filters,
      filterHash: digest.filterHash,
      version: digest.version,
      currentVersion: aggregationVersion(digest.aggregationType),
      asOf: digest.asOf,
      timeZone: digest.timeZone,
      computedAt: digest.computedAt,
      expiresAt: digest.expiresAt,
      expired: isExpired(digest.expiresAt, now),
      bytes: digest.metadata.bytes,
      dataHash: digest.dataHash,
    })),
  });
}

function renderList(userId: string, user: UserSummary | null, only: Filters | null, listed: readonly Listed[], now: number): string {
  const records = plural(user?.recordCount ?? 0, 'record');
  const scope = only === null ? '' : ` for ${describeFilters(only)}`;
  if (listed.length === 0) return `${userId} has no stored results${scope} (${records}): agg backfill --user ${userId} computes them`;
  const expired = listed.filter(({ digest }) => isExpired(digest.expiresAt, now)).length;
  const outdated = listed.filter(({ digest }) => digest.version !== aggregationVersion(digest.aggregationType)).length;
  const bytes = listed.reduce((sum, { digest }) => sum + digest.metadata.bytes, 0);
  const lines = [`${userId}: ${plural(listed.length, 'stored result')}${scope}, ${n(expired)} expired, ${formatBytes(bytes)}; ${records}`];
  const { cells, notes } = filterCells(listed);
  const rows = listed.map(({ digest }, i) => {
    const old = digest.version !== aggregationVersion(digest.aggregationType);
    const left = Date.parse(digest.expiresAt) - now;
    return [digest.aggregationType, cells[i]!, compactSpan(now - Date.parse(digest.computedAt)), left >= 0 ? `in ${compactSpan(left)}` : 'expired', `${digest.version}${old ? '*' : ''}`, formatBytes(digest.metadata.bytes)];
  });
  lines.push(
    plainTable(
      [{ head: 'type' }, { head: 'filters', max: FILTERS_WIDTH }, { head: 'age', align: 'right' }, { head: 'expires' }, { head: 'ver', align: 'right' }, { head: 'size', align: 'right' }],
      rows,
    ),
  );
  lines.push(...notes);
  if (outdated > 0) lines.push(`* older algorithm version, not served (${n(outdated)}): agg backfill rewrites it`);
  return lines.join('\n');
}

async function listResults(store: Store, userId: string, only: Filters | null, io: CommandIo, json: boolean): Promise<number> {
  const [user, listed] = await Promise.all([store.getUser(userId), listedResults(store, userId, only)]);
  const now = io.now();
  io.stdout.write(`${json ? listJson(userId, user, only, listed, now) : renderList(userId, user, only, listed, now)}\n`);
  return ExitCode.ok;
}

export async function runShow(command: CommandUnknownOpts, userArg: string, typeArg: string | undefined, options: ShowOptions, io: CommandIo): Promise<number> {
  const userId = parseUserId('USER', userArg);
  const type = typeArg === undefined ? null : parseAggregationType('TYPE', typeArg);
  const filters = parseFilterOptions(options);
  const narrowed = narrowsFilters(options);
  const json = options.json === true;
  return withStore(
    command,
    io,
    async ({ store }) => {
      await requireKnownUsers(store, [userId], { label: 'user' });
      return type === null ? listResults(store, userId, narrowed ? filters : null, io, json) : showResult(store, userId, type, filters, io, json);
    },
    { mustExist: true },
  );
}

function declareShow(program: Command) {
  return program
    .command('show')
    .description("print one of a user's stored results with its metadata, or (without TYPE) list them all")
    .argument('<user>', 'the user id')
    .addArgument(suggests(new Argument('[type]', `the aggregation type: ${AGGREGATION_TYPES.join(', ')}`), AGGREGATION_TYPES))
    .addOption(option('--timeframe <timeframe>', 'MTD, QTD, YTD, Last6M, Last12M or All', { shown: 'All', words: TIMEFRAMES }))
    .addOption(option('--product <product>', 'YouTube, "YouTube Music" or All', { shown: 'All', words: PRODUCT_FILTERS }))
    .addOption(repeatable('--topic <topic>', "the filter set's topics; repeatable", { shown: 'none' }))
    .addOption(repeatable('--channel <channel>', "the filter set's channels; repeatable", { shown: 'none' }))
    .option('--json', 'print one JSON document on stdout');
}

export function registerShow(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareShow(program).action(async (user, type, options, command) => setExit(await runShow(command, user, type, options, io)));
  helpFooter(
    command,
    [
      ['agg show alice', 'every stored result of alice'],
      ['agg show alice top_channels --timeframe YTD', 'one result: metadata and data'],
      ['agg show alice kpi --product "YouTube Music" --json', ''],
    ],
    ['Without TYPE, the filter options narrow the list to one filter set. Exit codes: 0 shown, 1 that result is not stored, 2 unknown user or type, bad filters.'],
  );
}
