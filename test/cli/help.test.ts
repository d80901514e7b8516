// Issue 15, "Help is thin": every command's --help ends with examples that parse, shows each default
// once and plainly, marks required options, fits 80 columns; `agg completion` prints a completion
// script generated from the program.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandUnknownOpts as Command } from '@commander-js/extra-typings';
import { describe, expect, it } from 'vitest';
import type { CommandIo } from '../../src/cli/io.js';
import { VERSION, buildProgram } from '../../src/cli/program.js';
import { Redactor } from '../../src/cli/redact.js';
import { runAgg } from '../support/cli.js';

/** Commands whose help someone else owns (compute is being rewritten): checked for width only. */
const OWNED_ELSEWHERE = new Set(['compute']);

function quietIo(): CommandIo {
  const sink = { write: () => true, isTTY: false };
  return { stdout: sink, stderr: sink, env: {}, cwd: process.cwd(), now: () => 0, redactor: new Redactor() };
}

/** Every command under agg, as the words that reach it: ['backfill'], ['runs', 'show']. */
function commandPaths(command: Command, path: string[] = []): string[][] {
  return command.commands.flatMap((sub) => [[...path, sub.name()], ...commandPaths(sub, [...path, sub.name()])]);
}

const PATHS = commandPaths((await buildProgram(quietIo(), () => undefined)));
const OURS = PATHS.filter((path) => !OWNED_ELSEWHERE.has(path[0]!));

async function helpOf(path: readonly string[], env: Record<string, string> = {}): Promise<string> {
  const run = await runAgg([...path, '--help'], { env });
  expect(run.code, path.join(' ')).toBe(0);
  expect(run.stderr).toBe('');
  return run.stdout;
}

/** The lines of the Examples block, without their two-space indent. */
function exampleLines(help: string): string[] {
  const block = /\nExamples:\n((?: {2}.*(?:\n|$))+)$/.exec(help);
  if (!block) return [];
  return block[1]!.split('\n').filter((line) => line !== '').map((line) => line.slice(2));
}

/**
 * The words of a command line as a POSIX shell splits them (quotes, backslashes), up to a comment or
 * a redirection or pipe; null when the line does not run agg.
 */
function argvOf(line: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unbalanced quote in ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + line[++i]!;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else if (word === null && (c === '#' || c === '>' || c === '|' || c === '<' || c === ';' || c === '&')) {
      break;
    } else word = (word ?? '') + c;
  }
  if (word !== null) words.push(word);
  return words[0] === 'agg' ? words.slice(1) : null;
}

/**
 * Parses `args` through a fresh program whose actions only record which command was reached and its
 * options: commander checks options, arguments and required options; agg refuses option-like values.
 */
async function parseOnly(args: readonly string[]): Promise<{ path: string[]; options: Record<string, unknown>; args: unknown[] }> {
  const program = (await buildProgram(quietIo(), () => undefined));
  let reached: { path: string[]; options: Record<string, unknown>; args: unknown[] } | null = null;
  const walk = (command: Command, path: string[]): void => {
    for (const sub of command.commands) {
      const subPath = [...path, sub.name()];
      sub.action((...actionArgs: unknown[]) => {
        reached = { path: subPath, options: sub.opts(), args: actionArgs.slice(0, -2) };
      });
      walk(sub, subPath);
    }
  };
  walk(program, []);
  await program.parseAsync([...args], { from: 'user' });
  if (reached === null) throw new Error(`agg ${args.join(' ')} reached no command`);
  return reached;
}

describe('agg <command> --help', () => {
  it('lists every command it covers (the test walks the program, so a new command is covered too)', () => {
    expect(PATHS.map((path) => path.join(' '))).toEqual(expect.arrayContaining(['backfill', 'validate', 'runs', 'runs show', 'status', 'import', 'delete-user', 'users', 'show', 'parse', 'rollout', 'cleanup', 'archive', 'completion']));
  });

  it.each(OURS.map((path) => [path.join(' '), path] as const))('%s ends with an Examples block of 2 to 4 command lines', async (_name, path) => {
    const help = await helpOf(path);
    const lines = exampleLines(help);
    const commandLines = lines.filter((line) => !line.startsWith('#'));
    expect(commandLines.length, help).toBeGreaterThanOrEqual(2);
    expect(commandLines.length, help).toBeLessThanOrEqual(4);
    // Each runs agg (or sources what agg prints) with this command.
    for (const line of commandLines) expect(line).toContain(`agg ${path.join(' ')}`);
  });

  it('agg --version prints the version alone, having loaded no command', async () => {
    for (const args of [['--version'], ['-V'], ['--quiet', '--version']]) {
      const run = await runAgg(args);
      expect(run, args.join(' ')).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
    expect((await buildProgram(quietIo(), () => undefined, ['--version'])).commands).toEqual([]);
    expect((await buildProgram(quietIo(), () => undefined, ['backfill', '--version'])).commands.map((c) => c.name())).toEqual(['backfill']);
  });

  it('agg --help ends with examples and says every command has its own', async () => {
    const help = await helpOf([]);
    expect(exampleLines(help).length).toBeGreaterThanOrEqual(2);
    expect(help).toMatch(/Every command has its own --help,\s+with examples/);
    expect(help).toMatch(/\n {2}completion <shell> +print a shell completion script/);
  });

  it('every example line parses: known options, right arguments, the command it is listed under', async () => {
    const checked: string[] = [];
    for (const path of [[], ...OURS]) {
      for (const line of exampleLines(await helpOf(path)).filter((l) => !l.startsWith('#'))) {
        const argv = argvOf(line);
        if (argv === null) continue;
        const reached = await parseOnly(argv).catch((error: unknown) => {
          throw new Error(`${line}: ${error instanceof Error ? error.message : String(error)}`);
        });
        // `agg runs show last` may be listed under runs; otherwise the example runs its own command.
        if (path.length > 0) expect(reached.path.slice(0, path.length), line).toEqual(path);
        checked.push(line);
      }
    }
    expect(checked.length).toBeGreaterThanOrEqual(OURS.length * 2);
  });

  it('the example parser itself refuses what commander refuses', async () => {
    await expect(parseOnly(['backfill', '--all', '--frobnicate'])).rejects.toThrow(/unknown option '--frobnicate'/);
    await expect(parseOnly(['import', 'f.json'])).rejects.toThrow(/required option '--user <id>' not specified/);
    await expect(parseOnly(['backfill', '--user', '--all'])).rejects.toThrow(/--user needs a value/);
    expect(argvOf('agg show alice kpi --product "YouTube Music" --json  # one result')).toEqual(['show', 'alice', 'kpi', '--product', 'YouTube Music', '--json']);
    expect(argvOf('agg status --format prometheus > /tmp/agg.prom')).toEqual(['status', '--format', 'prometheus']);
    expect(argvOf('source <(agg completion bash)')).toBeNull();
  });

  it('options get the same values as before when not given (help shows defaults, it does not change them)', async () => {
    expect((await parseOnly(['backfill', '--all'])).options).toMatchObject({ user: [], type: [], tz: 'UTC', concurrency: '4', renew: true });
    const validate = (await parseOnly(['validate'])).options;
    expect(validate).toMatchObject({ user: [], type: [], tolerance: '1e-9', maxDiffs: '20', failOn: 'drift', concurrency: '4', flag: 'precomputed_aggregations' });
    expect(validate.format).toBeUndefined();
    expect(validate.seed).toBeUndefined();
    expect((await parseOnly(['show', 'alice'])).options).toEqual({ topic: [], channel: [] });
    expect((await parseOnly(['rollout'])).options).toEqual({ flag: 'precomputed_aggregations' });
    expect((await parseOnly(['cleanup'])).options).toEqual({});
    expect((await parseOnly(['archive'])).options).toEqual({});
    expect((await parseOnly(['archive', '--table', 'runs', '--table', 'records'])).options).toEqual({ table: ['runs', 'records'] });
    expect((await parseOnly(['runs'])).options).toEqual({ limit: '20' });
    expect((await parseOnly(['backfill', '--user', 'a', 'b', '--user', 'c'])).options.user).toEqual(['a', 'b', 'c']);
    const globals = (await buildProgram(quietIo(), () => undefined));
    await globals.parseAsync([], { from: 'user' }).catch(() => undefined);
    expect(globals.opts()).toEqual({ timeout: '30s', retries: '5', color: true });
  });
});

/** An option's entry in help: its flags and description with wrapped lines joined. */
function optionEntries(help: string): string[] {
  const section = /\nOptions:\n([\s\S]*?)(?:\n\n|$)/.exec(help)?.[1] ?? '';
  const entries: string[] = [];
  for (const line of section.split('\n')) {
    if (/^ {2}-/.test(line)) entries.push(line.trim());
    else if (entries.length > 0) entries[entries.length - 1] += ` ${line.trim()}`;
  }
  return entries;
}

describe('defaults and required options in help', () => {
  it.each([[''], ...OURS.map((path) => [path.join(' ')])])('agg %s --help: each default once, plainly, in one wording', async (name) => {
    const help = await helpOf(name === '' ? [] : name.split(' '));
    expect(help).not.toMatch(/\(default: \[\]\)/);
    expect(help).not.toMatch(/default: "/);
    expect(help).not.toMatch(/\(default [^:]|default from/);
    for (const entry of optionEntries(help)) {
      expect(entry.match(/\(default: |, default: /g)?.length ?? 0, entry).toBeLessThanOrEqual(1);
      // A default agg.config.json can change reads `(default: 30d, or cleanup.changeLog in agg.config.json)`.
      if (/agg\.config\.json/.test(entry) && !/^--config/.test(entry)) expect(entry, entry).toMatch(/\(default: [^()]+, or [a-z]+\.[A-Za-z_]+ in agg\.config\.json\)/);
    }
  });

  it('shows numbers and words as typed, and the defaults the issue named', async () => {
    const backfill = optionEntries(await helpOf(['backfill']));
    expect(backfill).toContain('--concurrency <n>         users processed at once (default: 4)');
    expect(backfill).toContain('--type <type>             aggregation type; repeatable (default: all ten)');
    expect(backfill.find((e) => e.startsWith('--user'))).not.toMatch(/default/);
    const cleanup = optionEntries(await helpOf(['cleanup']));
    expect(cleanup.find((e) => e.startsWith('--change-log'))).toMatch(/\(default: 30d, or cleanup\.changeLog in agg\.config\.json\)$/);
    expect(cleanup.find((e) => e.startsWith('--stale-filters'))).toMatch(/\(default: 90d, or cleanup\.staleFilters in agg\.config\.json\)$/);
    const globals = optionEntries(await helpOf([]));
    expect(globals.find((e) => e.startsWith('--retries'))).toMatch(/\(default: 5\)$/);
    expect(globals.find((e) => e.startsWith('--timeout'))).toMatch(/\(default: 30s\)$/);
  });

  it('marks import --user required, and keeps its one-line error (exit 2)', async () => {
    const help = await helpOf(['import']);
    expect(help).toMatch(/^Usage: agg import <file> --user <id> \[options\]$/m);
    expect(optionEntries(help).find((e) => e.startsWith('--user'))).toMatch(/\(required\)$/);
    const cwd = mkdtempSync(join(tmpdir(), 'agg-help-'));
    writeFileSync(join(cwd, 'r.jsonl'), '');
    const run = await runAgg(['import', join(cwd, 'r.jsonl')], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("agg: required option '--user <id>' not specified (see agg --help)\n");
  });

  it('says delete-user needs --yes or --dry-run', async () => {
    const help = await helpOf(['delete-user']);
    expect(help).toMatch(/^Usage: agg delete-user <user> \(--yes \| --dry-run\) \[options\]$/m);
    expect(help).toMatch(/One of --yes or --dry-run is required/);
  });
});

describe('help width', () => {
  it.each([[''], ...PATHS.map((path) => [path.join(' ')])])('agg %s --help fits 80 columns in a pipe, and with a wide terminal', async (name) => {
    const path = name === '' ? [] : name.split(' ');
    for (const env of [{}, { COLUMNS: '200' }] as Record<string, string>[]) {
      const lines = (await helpOf(path, env)).split('\n');
      expect(lines.filter((line) => line.length > 80)).toEqual([]);
    }
  });

  it('wraps at a narrower terminal width', async () => {
    const help = await helpOf(['cleanup'], { COLUMNS: '60' });
    const options = help.slice(help.indexOf('Options:'), help.indexOf('Examples:'));
    expect(options.split('\n').filter((line) => line.length > 60)).toEqual([]);
    expect(options).toMatch(/\n {2}--change-log <days> /);
  });
});

function scriptOf(shell: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAgg(['completion', shell]);
}

function available(command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

const BACKFILL = (await buildProgram(quietIo(), () => undefined)).commands.find((c) => c.name() === 'backfill')!;

describe('agg completion', () => {
  const subcommands = [...new Set(PATHS.map((path) => path.at(-1)!))];
  const backfillOptions = BACKFILL.options.flatMap((o) => [o.long, o.short]).filter((n): n is string => n !== undefined);

  it('bash: every subcommand and every option of backfill, and bash -n accepts it', async () => {
    const run = await scriptOf('bash');
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/complete -F _agg agg\n$/);
    const words = new Set(run.stdout.split(/[\s']+/));
    for (const name of [...subcommands, 'help']) expect(words, name).toContain(name);
    expect(backfillOptions.length).toBeGreaterThan(15);
    const backfillLine = run.stdout.split('\n').find((line) => line.startsWith("    'backfill') REPLY='--user"))!;
    for (const option of [...backfillOptions, '--help', '--quiet']) expect(backfillLine.split(/[\s']+/), option).toContain(option);
  });

  it.skipIf(!available('bash'))('bash: the script is valid and completes commands, options and values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-completion-'));
    const script = join(dir, 'agg.bash');
    writeFileSync(script, (await scriptOf('bash')).stdout);
    expect(spawnSync('bash', ['-n', script], { encoding: 'utf8' }).stderr).toBe('');
    const probe = [
      `source ${JSON.stringify(script)}`,
      'compopt() { :; }',
      'try() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _agg; echo "${COMPREPLY[*]}"; }',
      "try agg ''",
      'try agg back',
      'try agg backfill --ty',
      "try agg --local x backfill --type ''",
      "try agg runs ''",
      "try agg show alice ''",
      "try agg completion ''",
      "try agg validate --fail-on ''",
    ].join('\n');
    const result = spawnSync('bash', ['-c', probe], { encoding: 'utf8', cwd: dir });
    expect(result.stderr).toBe('');
    const [top, back, type, types, runs, show, shells, failOn] = result.stdout.split('\n');
    expect(top!.split(' ')).toEqual(expect.arrayContaining([...subcommands, 'help']));
    expect(back).toBe('backfill');
    expect(type).toBe('--type');
    expect(types!.split(' ')).toContain('top_channels');
    expect(runs).toBe('show');
    expect(show!.split(' ')).toContain('kpi');
    expect(shells).toBe('bash zsh fish');
    expect(failOn).toBe('drift missing any');
  });

  it.each([['zsh'], ['fish']])('%s: generated, non-empty, with every subcommand', async (shell) => {
    const run = await scriptOf(shell);
    expect(run.code).toBe(0);
    expect(run.stdout.length).toBeGreaterThan(1000);
    for (const name of subcommands) expect(run.stdout, name).toMatch(new RegExp(`'${name}\\b`));
    for (const option of backfillOptions.filter((o) => o.startsWith('--'))) expect(run.stdout, option).toContain(shell === 'fish' ? `-l ${option.slice(2)} ` : `'${option}`);
    if (available(shell)) {
      const dir = mkdtempSync(join(tmpdir(), 'agg-completion-'));
      const script = join(dir, shell === 'zsh' ? '_agg' : 'agg.fish');
      writeFileSync(script, run.stdout);
      expect(spawnSync(shell, ['-n', script], { encoding: 'utf8' }).stderr).toBe('');
    }
  });

  it.skipIf(!available('fish'))('fish: completes commands and option values', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agg-completion-'));
    const script = join(dir, 'agg.fish');
    writeFileSync(script, (await scriptOf('fish')).stdout);
    const probe = `source ${JSON.stringify(script)}\nfor line in 'agg ' 'agg runs ' 'agg backfill --type '\n  complete -C "$line" | string split -f1 \\t | string join ' '\nend`;
    const [top, runs, types] = spawnSync('fish', ['-c', probe], { encoding: 'utf8', cwd: dir }).stdout.split('\n');
    expect(top!.split(' ')).toEqual(expect.arrayContaining(['backfill', 'completion', 'help']));
    expect(runs).toBe('show');
    expect(types!.split(' ')).toContain('kpi');
  });

  it('refuses another shell in one line (exit 2)', async () => {
    const run = await scriptOf('tcsh');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^agg: .*'tcsh'.*bash, zsh, fish/);
  });
});
