import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { formatIsoInstant } from '../core/time/iso.js';
import { withStore } from '../cli/context.js';
import { ExitCode, UsageError } from '../cli/errors.js';
import type { CommandIo } from '../cli/io.js';
import { appendToStepSummary } from '../cli/step-summary.js';
import { parseInteger } from '../text/numbers.js';
import { checkJson, renderCheck, renderHistory, renderHistoryMarkdown, renderOverrides, renderPercent, renderRollback, renderStatus, statusJson } from '../cli/rollout-render.js';
import { parseUserId } from '../cli/user-id.js';
import { DEFAULT_FLAG } from '../core/rollout-plan.js';
import { resolveActor } from '../rollout/actor.js';
import { type RolloutContext, changeOverrides, rollback, setPercent } from '../rollout/change.js';
import { parseActor, parseFlagName, parsePercent, parseReason } from '../rollout/options.js';
import { checkUser, readStatus } from '../rollout/report.js';
import { requireKnownUsers } from '../users/known-users.js';
import { helpFooter, option } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { rolloutCheckDocument, rolloutHistoryDocument, rolloutOverridesDocument, rolloutPercentDocument, rolloutRollbackDocument, rolloutStatusDocument } from '../cli/json-schemas/rollout.js';

/** Options as commander infers them from the declarations in declareRollout. */
type RolloutOptions = ReturnType<ReturnType<typeof declareRollout>['opts']>;

const FORMATS = ['table', 'json', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

/** --json is --format json; markdown (a CI job summary) is of the audit log only. */
function formatOf(options: RolloutOptions, action: Action): Format {
  if (options.format !== undefined && !(FORMATS as readonly string[]).includes(options.format)) {
    throw new UsageError(`--format "${options.format}" is not valid (expected one of: ${FORMATS.join(', ')})`);
  }
  if (options.json && options.format !== undefined && options.format !== 'json') throw new UsageError(`--json conflicts with --format ${options.format}`);
  const format = options.json ? 'json' : ((options.format as Format | undefined) ?? 'table');
  if (format === 'markdown' && action.kind !== 'history') throw new UsageError('--format markdown only goes with --history');
  return format;
}

type Action =
  | { kind: 'status' }
  | { kind: 'percent'; basisPoints: number }
  | { kind: 'overrides'; allow: string[]; deny: string[]; clear: string[] }
  | { kind: 'rollback' }
  | { kind: 'history'; limit: number }
  | { kind: 'check'; userId: string };

function userList(option: string, values: string[] | undefined): string[] {
  return (values ?? []).flatMap((value) => value.split(',')).map((value) => parseUserId(option, value.trim()));
}

/** One action per invocation; options that only make sense with another action are refused. */
function parseAction(options: RolloutOptions): Action {
  const allow = userList('--enable-user', options.enableUser);
  const deny = userList('--disable-user', options.disableUser);
  const clear = userList('--clear-user', options.clearUser);
  const chosen = [
    options.percent !== undefined && '--percent',
    allow.length + deny.length + clear.length > 0 && '--enable-user/--disable-user/--clear-user',
    options.rollback === true && '--rollback',
    options.history === true && '--history',
    options.check !== undefined && '--check',
  ].filter((x): x is string => typeof x === 'string');
  if (chosen.length > 1) throw new UsageError(`choose one of ${chosen.join(', ')} per run`);
  const action = chosen[0];
  const only = (flag: string, used: boolean | undefined, allowed: string[]) => {
    if (used && !allowed.includes(action ?? '')) throw new UsageError(`${flag} only goes with ${allowed.join(' or ')}`);
  };
  only('--allow-shrink', options.allowShrink, ['--percent']);
  only('--require-validated', options.requireValidated, ['--percent']);
  only('--plan', options.plan, ['--percent', '--enable-user/--disable-user/--clear-user']);
  only('--reason', options.reason !== undefined, ['--percent', '--enable-user/--disable-user/--clear-user', '--rollback']);
  only('--actor', options.actor !== undefined, ['--percent', '--enable-user/--disable-user/--clear-user', '--rollback']);
  only('--limit', options.limit !== undefined, ['--history']);
  only('--allow-unknown', options.allowUnknown, ['--enable-user/--disable-user/--clear-user', '--check']);
  switch (action) {
    case '--percent':
      return { kind: 'percent', basisPoints: parsePercent(options.percent!) };
    case '--rollback':
      return { kind: 'rollback' };
    case '--history':
      return { kind: 'history', limit: parseInteger(options.limit ?? '20', { option: '--limit', min: 1, max: 1000 }) };
    case '--check':
      return { kind: 'check', userId: parseUserId('--check', options.check!) };
    case undefined:
      return { kind: 'status' };
    default: {
      const twice = allow.find((u) => deny.includes(u) || clear.includes(u)) ?? deny.find((u) => clear.includes(u));
      if (twice !== undefined) throw new UsageError(`user ${twice} is named by more than one of --enable-user, --disable-user and --clear-user`);
      return { kind: 'overrides', allow, deny, clear };
    }
  }
}

export async function runRollout(command: CommandUnknownOpts, options: RolloutOptions, io: CommandIo): Promise<number> {
  const flag = parseFlagName(options.flag);
  const action = parseAction(options);
  const reason = parseReason(options.reason);
  const actorOption = parseActor(options.actor);
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const format = formatOf(options, action);
  const json = format === 'json';
  return withStore(command, io, async ({ store, config }) => {
    const { actor } = resolveActor(actorOption, io.env);
    const context: RolloutContext = { store, flag, actor, now: io.now, policy: config.eligibility };
    if (action.kind === 'history' && format === 'markdown') {
      const markdown = renderHistoryMarkdown(flag, await store.getFlag(flag), await store.listFlagEvents(flag, action.limit));
      io.stdout.write(markdown);
      await appendToStepSummary(io, markdown);
      return ExitCode.ok;
    }

    switch (action.kind) {
      case 'status': {
        const status = await readStatus(store, flag, 5, formatIsoInstant(io.now()));
        out(json ? jsonLine(rolloutStatusDocument, { schema: 'agg.rollout/v1', ...statusJson(status) }) : renderStatus(status));
        return ExitCode.ok;
      }
      case 'check': {
        if (options.allowUnknown !== true) await requireKnownUsers(store, [action.userId], { label: '--check', allowUnknownOption: true });
        const check = await checkUser(store, flag, action.userId, formatIsoInstant(io.now()));
        out(json ? jsonLine(rolloutCheckDocument, { schema: 'agg.rollout.check/v1', ...checkJson(check) }) : renderCheck(check));
        return ExitCode.ok;
      }
      case 'history': {
        const events = await store.listFlagEvents(flag, action.limit);
        out(json ? jsonLine(rolloutHistoryDocument, { schema: 'agg.rollout.history/v1', flag, events }) : renderHistory(flag, events));
        return ExitCode.ok;
      }
      case 'rollback': {
        const outcome = await rollback(context, reason);
        out(json ? jsonLine(rolloutRollbackDocument, { schema: 'agg.rollout.rollback/v1', flag, ...outcome }) : renderRollback(flag, outcome));
        return ExitCode.ok;
      }
      case 'overrides': {
        // Clearing needs no data (it is how an override of a user who never came is removed).
        if (options.allowUnknown !== true) {
          const labelOf = (unknown: readonly string[]) =>
            unknown.every((userId) => action.allow.includes(userId)) ? '--enable-user' : unknown.every((userId) => action.deny.includes(userId)) ? '--disable-user' : '--enable-user/--disable-user';
          await requireKnownUsers(store, [...action.allow, ...action.deny], { label: labelOf, allowUnknownOption: true });
        }
        const outcome = await changeOverrides(context, { allow: action.allow, deny: action.deny, clear: action.clear, plan: options.plan === true, reason });
        out(json ? jsonLine(rolloutOverridesDocument, { schema: 'agg.rollout.overrides/v1', flag, ...outcome }) : renderOverrides(flag, outcome));
        return ExitCode.ok;
      }
      case 'percent': {
        const outcome = await setPercent(context, {
          basisPoints: action.basisPoints,
          allowShrink: options.allowShrink === true,
          requireValidated: options.requireValidated === true,
          plan: options.plan === true,
          keepIds: json,
          reason,
        });
        out(json ? jsonLine(rolloutPercentDocument, { schema: 'agg.rollout.percent/v1', flag, ...outcome }) : renderPercent(outcome, options.requireValidated === true));
        return outcome.kind === 'refused' ? ExitCode.findings : ExitCode.ok;
      }
    }
  });
}

function declareRollout(program: Command) {
  return program
    .command('rollout')
    .description('control the gradual per-user rollout of pre-computed aggregations (no action: status)')
    .option('--flag <name>', 'the flag', DEFAULT_FLAG)
    .option('--percent <p>', 'set the percentage of users in (0–100, at most two decimals)')
    .option('--plan', 'change nothing: list the users who would enter or leave')
    .option('--allow-shrink', 'allow lowering the percentage (users leave the rollout)')
    .option('--require-validated', 'refuse if any entering user lacks aggregations or failed its latest validation')
    .option('--enable-user <ids...>', 'always serve these users (an allow override wins over the percentage)')
    .option('--disable-user <ids...>', 'never serve these users (a deny override)')
    .option('--clear-user <ids...>', 'remove these users\' overrides')
    .option('--rollback', 'kill switch: 0 % at once; overrides kept but ignored until re-enabled with --percent')
    .option('--history', 'the audit log: who, when, from → to, reason')
    // No commander default: --limit given without --history is refused, so it must stay unset.
    .addOption(option('--limit <n>', 'events shown by --history', { shown: '20' }))
    .option('--check <user>', 'is this user in, and why')
    .option('--allow-unknown', 'with --enable-user/--disable-user or --check: accept users the store has no records or results for yet')
    .option('--reason <text>', 'why, for the audit log')
    .addOption(option('--actor <name>', 'who, for the audit log', { shown: 'the OS user, else the CI environment' }))
    .option('--json', 'print one JSON document on stdout (same as --format json)')
    .addOption(option('--format <format>', 'table, json, or with --history markdown (CI job summary: also appended to $GITHUB_STEP_SUMMARY)', { shown: 'table', words: FORMATS }));
}

export function registerRollout(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = declareRollout(program).action(async (options, command) => setExit(await runRollout(command, options, io)));
  helpFooter(command, [
    ['agg rollout', 'status: percent, overrides, last changes'],
    ['agg rollout --percent 25 --plan', 'who would enter; changes nothing'],
    ['agg rollout --percent 25 --require-validated --reason "canary"', ''],
    ['agg rollout --rollback --reason "drift"', 'kill switch: 0 % at once'],
  ]);
}
