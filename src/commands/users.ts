import type { Command } from 'commander';
import { withStore } from '../cli/context.js';
import type { CommandIo } from '../cli/io.js';
import { makeTable } from '../cli/format.js';
import type { UserSummary } from '../store/types.js';

export async function runUsers(command: Command, options: { json?: boolean }, io: CommandIo): Promise<number> {
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
      io.stdout.write(`${JSON.stringify({ users })}\n`);
      return 0;
    }
    if (users.length === 0) {
      io.stdout.write('no users yet: load one with agg import <file> --user <id>\n');
      return 0;
    }
    const table = makeTable(['user', 'records', 'first watch', 'last watch', 'last change', 'pending changes'], {
      colAligns: ['left', 'right', 'left', 'left', 'left', 'right'],
    });
    for (const user of users) {
      table.push([user.userId, user.recordCount.toLocaleString('en-US'), user.firstWatchedAt ?? '-', user.lastWatchedAt ?? '-', user.lastChangeAt ?? '-', String(user.pendingChanges)]);
    }
    io.stdout.write(`${table.toString()}\n${users.length} user${users.length === 1 ? '' : 's'}\n`);
    return 0;
  }, { mustExist: true });
}

export function registerUsers(program: Command, io: CommandIo, setExit: (code: number) => void): void {
  program
    .command('users')
    .description('list users in the store with record counts, last change and pending change-log entries')
    .option('--json', 'print one JSON document on stdout')
    .action(async (options: { json?: boolean }, command: Command) => setExit(await runUsers(command, options, io)));
}
