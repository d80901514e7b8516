// `agg … | head`: when the reader closes the pipe, agg stops quietly (exit 0, nothing on stderr).
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtCli } from '../support/built-cli.js';

describe('a reader that closes the pipe early', () => {
  let bin = '';
  beforeAll(() => {
    bin = builtCli();
  }, 200_000);

  it.each([[['--help']], [['completion', 'bash']]])('agg %j | head -c 1: exit 0, no stack trace', async (args) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Close our end before agg writes a byte, as a reader that has had enough does: its writes fail with EPIPE.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
