import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseDotenv } from '../../src/cli/dotenv.js';
import { Redactor } from '../../src/cli/redact.js';
import { deploymentOfKey, describeTarget, resolveStoreTarget } from '../../src/store/connect.js';

const DEV_KEY = 'dev:happy-animal-123|eyJ2MiI6ImZha2Uta2V5LWZvci10ZXN0cy1vbmx5In0=';
const PROD_KEY = 'prod:serious-otter-456|eyJ2MiI6InByb2R1Y3Rpb24tc2VjcmV0In0=';

function dir(files: Record<string, string> = {}): string {
  const path = mkdtempSync(join(tmpdir(), 'agg-connect-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text);
  return path;
}

const resolveIn = (cwd: string, options = {}, env: Record<string, string> = {}) => resolveStoreTarget(options, env, cwd, new Redactor());

describe('resolveStoreTarget', () => {
  it('uses the embedded store in ./.agg when nothing is configured', () => {
    const cwd = dir();
    expect(resolveIn(cwd)).toEqual({ kind: 'sqlite', dir: join(cwd, '.agg') });
  });

  it('takes --local, then AGG_LOCAL_DIR', () => {
    const cwd = dir();
    expect(resolveIn(cwd, { local: 'store' })).toEqual({ kind: 'sqlite', dir: join(cwd, 'store') });
    expect(resolveIn(cwd, {}, { AGG_LOCAL_DIR: '/var/agg' })).toEqual({ kind: 'sqlite', dir: '/var/agg' });
  });

  it('derives the deployment URL from a dev or prod deploy key', () => {
    const target = resolveIn(dir(), {}, { CONVEX_DEPLOY_KEY: DEV_KEY });
    expect(target).toMatchObject({ kind: 'convex', url: 'https://happy-animal-123.convex.cloud', deployment: 'happy-animal-123', production: false });
    expect(describeTarget(target)).toBe('Convex deployment happy-animal-123 (happy-animal-123.convex.cloud)');
    expect(deploymentOfKey('preview:team:proj|abc')).toBeNull();
  });

  it('reads CONVEX_URL from .env.local before .env, and the environment before both', () => {
    const cwd = dir({ '.env': 'CONVEX_URL=https://from-env.convex.cloud\n', '.env.local': '# written by convex dev\nCONVEX_DEPLOYMENT=dev:x # team: t\nCONVEX_URL="https://from-local.convex.cloud"\n' });
    expect(resolveIn(cwd, { adminKey: DEV_KEY })).toMatchObject({ url: 'https://from-local.convex.cloud' });
    expect(resolveIn(cwd, { adminKey: DEV_KEY }, { CONVEX_URL: 'http://127.0.0.1:3210' })).toMatchObject({ url: 'http://127.0.0.1:3210' });
    expect(resolveIn(cwd, { adminKey: DEV_KEY, url: 'http://127.0.0.1:9999' }, { CONVEX_URL: 'x' })).toMatchObject({ url: 'http://127.0.0.1:9999' });
  });

  it('refuses a configured deployment without a key, a production key without --prod, and conflicting flags', () => {
    expect(() => resolveIn(dir({ '.env.local': 'CONVEX_URL=https://a.convex.cloud\n' }))).toThrow(/no deploy key.*CONVEX_DEPLOY_KEY.*--local/);
    expect(() => resolveIn(dir(), {}, { CONVEX_DEPLOY_KEY: PROD_KEY })).toThrow(/production deployment serious-otter-456; pass --prod/);
    expect(resolveIn(dir(), { prod: true }, { CONVEX_DEPLOY_KEY: PROD_KEY })).toMatchObject({ production: true });
    expect(() => resolveIn(dir(), { local: 'x', url: 'https://a.convex.cloud' })).toThrow(UsageError);
    expect(() => resolveIn(dir(), { adminKey: DEV_KEY, url: 'not a url' })).toThrow(/not a URL/);
    expect(() => resolveIn(dir(), { adminKey: 'preview:team:proj|abcdefghijkl' })).toThrow(/set CONVEX_URL/);
  });
});

describe('parseDotenv', () => {
  it('reads the lines the Convex CLI writes', () => {
    expect(parseDotenv('# comment\nexport A=1\nB = "two words" # c\nC=three # note\nD=\'q\'\nbad line\n')).toEqual({ A: '1', B: 'two words', C: 'three', D: 'q' });
  });
});

describe('Redactor', () => {
  it('removes whole keys and their secret halves from text and recorded arguments', () => {
    const redactor = new Redactor();
    redactor.add(DEV_KEY);
    const secret = DEV_KEY.split('|')[1]!;
    expect(redactor.apply(`key=${DEV_KEY} and ${secret}`)).toBe('key=[redacted] and [redacted]');
    expect(redactor.args(['backfill', '--admin-key', DEV_KEY, `--admin-key=${DEV_KEY}`, '--all'])).toEqual(['backfill', '--admin-key', '[redacted]', '--admin-key=[redacted]', '--all']);
  });
});
