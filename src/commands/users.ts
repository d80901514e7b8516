import type { Command, CommandUnknownOpts } from '@commander-js/extra-typings';
import { withStore } from '../cli/context.js';
import type { CommandIo } from '../cli/io.js';
import { compactSpan, plainTable } from '../cli/plain-table.js';
import type { UserSummary } from '../store/types.js';
import { helpFooter } from '../cli/help.js';
import { jsonLine } from '../cli/json-schemas/common.js';
import { usersDocument } from '../cli/json-schemas/users.js';

export async function runUsers(command: CommandUnknownOpts, options: { json?: boolean }, io: CommandIo): Promise<number> {
  return withStore(command, io, async ({ store }) => {
    const pending = new Map<string, number>();
    for await (const user of store.pendingUsers()) pending.set(user.userId, user.changes.length);
    const users: (UserSummary & { pendingChanges: number })[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await store.listUsers({ cursor });
      for (const user of page.items) users.push({ ...user, pendingChanges: pending.get(user.userId) ?? 0 });
      if (page.isDone) break;
      cursor = page.cursor;
    }
    if (options.json) {
      io.stdout.write(jsonLine(usersDocument, { schema: 'agg.users/v1', users }));
      return 0;
    }
    if (users.length === 0) {
      io.stdout.write('no users yet: load one with agg import <file> --user <id>\n');
      return 0;
    }
    // 80 columns: watch dates as days (UTC), the last change as an age; --json has the instants.
    const day = (instant: string | null) => (instant === null ? '-' : instant.slice(0, 10));
    const now = io.now();
    const table = plainTable(
      [{ head: 'user', max: 28 }, { head: 'records', align: 'right' }, { head: 'first watch' }, { head: 'last watch' }, { head: 'changed', align: 'right' }, { head: 'pending', align: 'right' }],
      users.map((user) => [
        user.userId,
        user.recordCount.toLocaleString('en-US'),
        day(user.firstWatchedAt),
        day(user.lastWatchedAt),
        user.lastChangeAt === null ? '-' : `${compactSpan(now - Date.parse(user.lastChangeAt))} ago`,
        String(user.pendingChanges),
      ]),
    );
    io.stdout.write(`${table}\n${users.length} user${users.length === 1 ? '' : 's'}; pending: unprocessed change-log entries (backfill --changed takes them)\n`);
    return 0;
  }, { mustExist: true });
}

export function registerUsers(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  const command = program
    .command('users')
    .description('list users in the store with record counts, last change and pending change-log entries')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options, command) => setExit(await runUsers(command, options, io)));
  helpFooter(command, [
    ['agg users', 'a table of 80 columns'],
    ['agg users --json', 'with the exact instants'],
  ]);
}
