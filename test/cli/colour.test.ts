import { describe, expect, it } from 'vitest';
import { runAgg } from '../support/cli.js';
import { ADAPTER_FACTORIES, seedUsers, withOpen } from '../support/store-fixtures.js';

const RED = '\u001b[31m';

// Alerts and drift in colour on a terminal; never with NO_COLOR, on a dumb terminal, or into a pipe.
describe('colour', () => {
  const harness = ADAPTER_FACTORIES[0]![1]();
  const status = (options: { tty: boolean; env?: Record<string, string> }) =>
    runAgg(['status'], { openStore: () => harness.openStore(), now: () => Date.parse('2025-07-01T06:00:00.000Z'), tty: options.tty, env: options.env ?? {} });

  it('paints an alert red on a terminal, and nothing under NO_COLOR, --no-color, TERM=dumb or a pipe', async () => {
    await withOpen(harness, (store) => seedUsers(store, 1, 10, 'colour'));
    expect((await runAgg(['backfill', '--all', '--quiet'], { openStore: () => harness.openStore() })).code).toBe(0);
    const coloured = await status({ tty: true });
    expect(coloured.code).toBe(1); // six hours later everything has expired
    expect(coloured.stdout).toContain(`${RED}ALERT expired-share`);
    const noColor = await runAgg(['--no-color', 'status'], { openStore: () => harness.openStore(), now: () => Date.parse('2025-07-01T06:00:00.000Z'), tty: true, env: {} });
    for (const plain of [await status({ tty: true, env: { NO_COLOR: '1' } }), await status({ tty: true, env: { TERM: 'dumb' } }), await status({ tty: false }), noColor]) {
      expect(plain.stdout).toContain('ALERT expired-share');
      expect(plain.stdout).not.toContain('\u001b[');
    }
  });
});
