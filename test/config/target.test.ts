import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { parseDotenv } from '../../src/config/dotenv.js';
import { Redactor } from '../../src/cli/redact.js';
import { AGG_PACKAGE_NAME, CONVEX_URL_VARIABLES, convexAppMarker, deploymentOfKey, describeTarget, resolveStoreTarget } from '../../src/config/target.js';

const DEV_KEY = 'dev:happy-animal-123|eyJ2MiI6ImZha2Uta2V5LWZvci10ZXN0cy1vbmx5In0=';
const PROD_KEY = 'prod:serious-otter-456|eyJ2MiI6InByb2R1Y3Rpb24tc2VjcmV0In0=';
const PREVIEW_KEY = 'preview:team:proj|eyJ2MiI6InByZXZpZXctc2VjcmV0In0=';

function dir(files: Record<string, string> = {}): string {
  const path = mkdtempSync(join(tmpdir(), 'agg-connect-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(path, name), text);
  return path;
}

const resolveIn = (cwd: string, options = {}, env: Record<string, string> = {}) => resolveStoreTarget(options, env, cwd, () => undefined);

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
    // A preview key names no deployment, so no URL disagrees with it.
    const cwd = dir({ '.env': 'CONVEX_URL=https://from-env.convex.cloud\n', '.env.local': '# written by convex dev\nCONVEX_DEPLOYMENT=dev:x # team: t\nCONVEX_URL="https://from-local.convex.cloud"\n' });
    expect(resolveIn(cwd, { adminKey: PREVIEW_KEY })).toMatchObject({ url: 'https://from-local.convex.cloud', deployment: 'from-local' });
    expect(resolveIn(cwd, { adminKey: PREVIEW_KEY }, { CONVEX_URL: 'http://127.0.0.1:3210' })).toMatchObject({ url: 'http://127.0.0.1:3210' });
    expect(resolveIn(cwd, { adminKey: PREVIEW_KEY, url: 'http://127.0.0.1:9999' }, { CONVEX_URL: 'x' })).toMatchObject({ url: 'http://127.0.0.1:9999' });
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

const LOOPBACK = 'http://127.0.0.1:3210';
const KEY_HINT = 'set CONVEX_DEPLOY_KEY (Dashboard → Settings → Deploy keys) or pass --admin-key; or pass --local DIR to use the embedded store';
const GUARD = new RegExp(`but no deploy key is set: ${KEY_HINT.replace(/[()]/g, '\\$&')}$`);

/** The error resolveStoreTarget throws (it must be a UsageError), for message checks. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected resolveStoreTarget to refuse');
}

describe('finding the deployment as the Convex CLI does', () => {
  it('derives the URL from CONVEX_DEPLOYMENT in .env.local (with its comment), prefixed or bare', () => {
    // A preview key alone names no deployment: the URL can only come from CONVEX_DEPLOYMENT.
    const written = dir({ '.env.local': '# Deployment used by `npx convex dev`\nCONVEX_DEPLOYMENT=dev:happy-animal-123 # team: x, project: y\n' });
    expect(resolveIn(written, { adminKey: PREVIEW_KEY })).toMatchObject({ kind: 'convex', url: 'https://happy-animal-123.convex.cloud', deployment: 'happy-animal-123', production: false });
    expect(resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=happy-animal-123\n' }), { adminKey: PREVIEW_KEY })).toMatchObject({ url: 'https://happy-animal-123.convex.cloud' });
    expect(resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=preview:brave-fox-9\n' }), { adminKey: PREVIEW_KEY })).toMatchObject({ url: 'https://brave-fox-9.convex.cloud' });
    expect(resolveIn(written, {}, { CONVEX_DEPLOY_KEY: DEV_KEY })).toMatchObject({ url: 'https://happy-animal-123.convex.cloud', deployment: 'happy-animal-123' });
  });

  it('refuses a CONVEX_DEPLOYMENT that is no deployment, and one whose URL cannot be derived unless a URL is given', () => {
    expect(refusal(() => resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=dev:not/a/name\n' }), { adminKey: PREVIEW_KEY }))).toBe(
      'CONVEX_DEPLOYMENT in .env.local "dev:not/a/name" is not a deployment (expected e.g. dev:happy-animal-123)',
    );
    const localDeployment = 'CONVEX_DEPLOYMENT=local:local-team-proj\n';
    expect(refusal(() => resolveIn(dir({ '.env.local': localDeployment }), { adminKey: PREVIEW_KEY }))).toMatch(/CONVEX_DEPLOYMENT in \.env\.local is "local:local-team-proj", a deployment whose URL agg cannot derive; set CONVEX_URL or pass --url/);
    expect(resolveIn(dir({ '.env.local': `${localDeployment}CONVEX_URL=${LOOPBACK}\n` }), { adminKey: PREVIEW_KEY })).toMatchObject({ url: LOOPBACK });
  });

  it.each(CONVEX_URL_VARIABLES.map((name) => [name]))('reads %s from .env.local and from the environment', (name) => {
    expect(resolveIn(dir({ '.env.local': `${name}=${LOOPBACK}\n` }), { adminKey: DEV_KEY })).toMatchObject({ kind: 'convex', url: LOOPBACK, deployment: 'happy-animal-123' });
    expect(resolveIn(dir(), { adminKey: DEV_KEY }, { [name]: 'http://127.0.0.1:4000' })).toMatchObject({ url: 'http://127.0.0.1:4000' });
    // Without a key the variable alone makes the directory a Convex app.
    expect(refusal(() => resolveIn(dir({ '.env.local': `${name}=${LOOPBACK}\n` })))).toBe(
      `this directory is a Convex app (${name} in .env.local: ${LOOPBACK}) but no deploy key is set: ${name === 'CONVEX_SELF_HOSTED_URL' ? KEY_HINT.replace(/^set CONVEX_DEPLOY_KEY \(.*?\)/, "set CONVEX_SELF_HOSTED_ADMIN_KEY (the backend's admin key)") : KEY_HINT}`,
    );
  });

  it('consults the URL variables in their documented order, CONVEX_URL first', () => {
    expect(CONVEX_URL_VARIABLES).toEqual(['CONVEX_URL', 'NEXT_PUBLIC_CONVEX_URL', 'VITE_CONVEX_URL', 'PUBLIC_CONVEX_URL', 'EXPO_PUBLIC_CONVEX_URL', 'REACT_APP_CONVEX_URL', 'NUXT_PUBLIC_CONVEX_URL', 'CONVEX_SELF_HOSTED_URL']);
    for (let first = 0; first < CONVEX_URL_VARIABLES.length; first++) {
      // Written in reverse so that file order cannot be what decides.
      const lines = CONVEX_URL_VARIABLES.slice(first)
        .map((name, i) => `${name}=http://127.0.0.1:${5000 + first + i}`)
        .reverse();
      expect(resolveIn(dir({ '.env.local': `${lines.join('\n')}\n` }), { adminKey: DEV_KEY })).toMatchObject({ url: `http://127.0.0.1:${5000 + first}` });
    }
  });

  it('layers flags over the environment over the files; within a layer a URL beats CONVEX_DEPLOYMENT', () => {
    const cwd = dir({ '.env.local': `CONVEX_DEPLOY_KEY=${PREVIEW_KEY}\nCONVEX_DEPLOYMENT=dev:from-file\nVITE_CONVEX_URL=http://127.0.0.1:1003\n`, '.env': 'CONVEX_URL=http://127.0.0.1:1004\n' });
    const envKey = 'preview:team:other|eyJ2MiI6ImVudmlyb25tZW50In0=';
    const flagKey = 'preview:team:flag|eyJ2MiI6ImZsYWcta2V5In0=';
    expect(resolveIn(cwd)).toMatchObject({ url: 'http://127.0.0.1:1003', adminKey: PREVIEW_KEY });
    expect(resolveIn(cwd, {}, { CONVEX_DEPLOYMENT: 'dev:from-env' })).toMatchObject({ url: 'https://from-env.convex.cloud', deployment: 'from-env' });
    expect(resolveIn(cwd, {}, { CONVEX_DEPLOYMENT: 'dev:from-env', NEXT_PUBLIC_CONVEX_URL: 'http://127.0.0.1:1002', CONVEX_DEPLOY_KEY: envKey })).toMatchObject({ url: 'http://127.0.0.1:1002', adminKey: envKey });
    expect(resolveIn(cwd, { url: 'http://127.0.0.1:1001', adminKey: flagKey }, { CONVEX_URL: 'http://127.0.0.1:1002', CONVEX_DEPLOY_KEY: envKey })).toMatchObject({ url: 'http://127.0.0.1:1001', adminKey: flagKey });
    // .env.local is the more specific file: its CONVEX_DEPLOYMENT beats a URL in .env.
    expect(resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=dev:local-one\n', '.env': 'CONVEX_URL=http://127.0.0.1:1004\n' }), { adminKey: PREVIEW_KEY })).toMatchObject({ url: 'https://local-one.convex.cloud' });
  });

  it('--env-file replaces .env.local and .env, relative to the working directory', () => {
    const cwd = dir({ '.env.local': `CONVEX_DEPLOY_KEY=${DEV_KEY}\nCONVEX_URL=https://happy-animal-123.convex.cloud\n`, 'ci.env': `CONVEX_DEPLOY_KEY=${PROD_KEY}\nCONVEX_DEPLOYMENT=prod:serious-otter-456\n`, 'empty.env': '# nothing\n' });
    expect(resolveIn(cwd, { envFile: 'ci.env', prod: true })).toMatchObject({ url: 'https://serious-otter-456.convex.cloud', adminKey: PROD_KEY, production: true });
    expect(resolveIn(cwd, { envFile: join(cwd, 'ci.env'), prod: true })).toMatchObject({ adminKey: PROD_KEY });
    // Nothing from .env.local: the embedded store, as in an empty directory.
    expect(resolveIn(cwd, { envFile: 'empty.env' })).toEqual({ kind: 'sqlite', dir: join(cwd, '.agg') });
    expect(resolveIn(cwd)).toMatchObject({ adminKey: DEV_KEY });
  });

  it('takes AGG_ENV_FILE as --env-file, the flag first', () => {
    const cwd = dir({ 'ci.env': 'CONVEX_URL=http://127.0.0.1:7001\n', 'flag.env': 'CONVEX_URL=http://127.0.0.1:7002\n', '.env.local': 'CONVEX_URL=http://127.0.0.1:7003\n' });
    expect(resolveIn(cwd, { adminKey: DEV_KEY }, { AGG_ENV_FILE: 'ci.env' })).toMatchObject({ url: 'http://127.0.0.1:7001' });
    expect(resolveIn(cwd, { adminKey: DEV_KEY, envFile: 'flag.env' }, { AGG_ENV_FILE: 'ci.env' })).toMatchObject({ url: 'http://127.0.0.1:7002' });
    expect(refusal(() => resolveIn(cwd, { adminKey: DEV_KEY }, { AGG_ENV_FILE: 'missing.env' }))).toMatch(/^AGG_ENV_FILE missing\.env: /);
  });

  it('refuses an --env-file that cannot be read, naming it', () => {
    const cwd = dir();
    mkdirSync(join(cwd, 'a-directory.env'));
    expect(refusal(() => resolveIn(cwd, { envFile: 'missing.env' }))).toBe('--env-file missing.env: no such file');
    expect(refusal(() => resolveIn(cwd, { envFile: 'a-directory.env' }))).toBe('--env-file a-directory.env: is a directory, not a dotenv file');
    expect(refusal(() => resolveIn(cwd, { envFile: '' }))).toMatch(/--env-file is empty/);
    // Even when --local would not need it: a named file that is not there is a mistake.
    expect(() => resolveIn(cwd, { envFile: 'missing.env', local: 'store' })).toThrow(/--env-file missing\.env: no such file/);
  });

  it('refuses a deploy key and a URL of different deployments, naming both, wherever the URL comes from', () => {
    const message = (source: string) =>
      `the deploy key is for the deployment happy-animal-123 but the URL https://other-deploy-7.convex.cloud (from ${source}) is the deployment other-deploy-7: use the deploy key of other-deploy-7, or pass --url https://happy-animal-123.convex.cloud`;
    const other = 'https://other-deploy-7.convex.cloud';
    expect(refusal(() => resolveIn(dir(), { adminKey: DEV_KEY, url: other }))).toBe(message('--url'));
    expect(refusal(() => resolveIn(dir(), {}, { CONVEX_DEPLOY_KEY: DEV_KEY, VITE_CONVEX_URL: other }))).toBe(message('VITE_CONVEX_URL in the environment'));
    expect(refusal(() => resolveIn(dir({ '.env.local': `CONVEX_URL=${other}\n` }), {}, { CONVEX_DEPLOY_KEY: DEV_KEY }))).toBe(message('CONVEX_URL in .env.local'));
    expect(refusal(() => resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=dev:other-deploy-7\n' }), { adminKey: DEV_KEY }))).toBe(message('CONVEX_DEPLOYMENT in .env.local'));
    // The same deployment through a regional URL, or a URL that is no Convex cloud URL, is fine.
    expect(resolveIn(dir(), { adminKey: DEV_KEY, url: 'https://happy-animal-123.eu-west-1.convex.cloud' })).toMatchObject({ deployment: 'happy-animal-123' });
    expect(resolveIn(dir(), { adminKey: DEV_KEY, url: LOOPBACK })).toMatchObject({ deployment: 'happy-animal-123' });
  });

  it('needs --prod for a deployment CONVEX_DEPLOYMENT calls production', () => {
    const adminKey = 'serious-otter-456|eyJ2MiI6ImFkbWluLWtleSJ9';
    const cwd = dir({ '.env.local': 'CONVEX_DEPLOYMENT=prod:serious-otter-456\n' });
    expect(refusal(() => resolveIn(cwd, { adminKey }))).toBe('CONVEX_DEPLOYMENT in .env.local says serious-otter-456 is the production deployment (prod:serious-otter-456); pass --prod to confirm');
    expect(resolveIn(cwd, { adminKey, prod: true })).toMatchObject({ url: 'https://serious-otter-456.convex.cloud', production: true });
    // Also when the URL comes from elsewhere but names that deployment.
    expect(() => resolveIn(cwd, { adminKey, url: 'https://serious-otter-456.convex.cloud' })).toThrow(/production deployment.*pass --prod/);
    expect(refusal(() => resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=prod:serious-otter-456\n' }), {}, { CONVEX_DEPLOY_KEY: PROD_KEY }))).toBe('the deploy key is for the production deployment serious-otter-456; pass --prod to confirm');
  });

  it('refuses a Convex app without a deploy key instead of falling back to the embedded store', () => {
    const withConvexDir = dir();
    mkdirSync(join(withConvexDir, 'convex'));
    expect(refusal(() => resolveIn(withConvexDir))).toBe(`this directory is a Convex app (convex/ found) but no deploy key is set: ${KEY_HINT}`);
    const withConvexJson = dir({ 'convex.json': '{"functions": "backend/"}\n', 'package.json': '{"name": "watch-app"}\n' });
    expect(refusal(() => resolveIn(withConvexJson))).toMatch(/^this directory is a Convex app \(convex\.json found\) but no deploy key is set/);
    expect(refusal(() => resolveIn(dir({ '.env.local': 'VITE_CONVEX_URL=https://happy-animal-123.convex.cloud\n' })))).toMatch(/^this directory is a Convex app \(VITE_CONVEX_URL in \.env\.local: https:\/\/happy-animal-123\.convex\.cloud\)/);
    expect(refusal(() => resolveIn(dir({ '.env.local': 'CONVEX_DEPLOYMENT=dev:happy-animal-123 # team: x\n' })))).toMatch(/^this directory is a Convex app \(CONVEX_DEPLOYMENT in \.env\.local: dev:happy-animal-123\)/);
    expect(refusal(() => resolveIn(dir(), {}, { CONVEX_DEPLOYMENT: 'dev:happy-animal-123' }))).toMatch(/^a Convex deployment is configured \(CONVEX_DEPLOYMENT in the environment: dev:happy-animal-123\) but no deploy key is set/);
    expect(refusal(() => resolveIn(dir(), { url: 'https://happy-animal-123.convex.cloud' }))).toMatch(GUARD);
    // A deploy key, --local or AGG_LOCAL_DIR settle it.
    expect(resolveIn(withConvexDir, { adminKey: DEV_KEY })).toMatchObject({ kind: 'convex', url: 'https://happy-animal-123.convex.cloud' });
    expect(resolveIn(withConvexDir, { local: '.agg' })).toEqual({ kind: 'sqlite', dir: join(withConvexDir, '.agg') });
    expect(resolveIn(withConvexJson, {}, { AGG_LOCAL_DIR: 'store' })).toEqual({ kind: 'sqlite', dir: join(withConvexJson, 'store') });
  });

  it("does not take agg's own package root (convex.json beside agg's package.json) for a Convex app", () => {
    const checkout = dir({ 'convex.json': '{"functions": "src/convex/"}\n', 'package.json': `{"name": "${AGG_PACKAGE_NAME}", "version": "0.1.0"}\n` });
    expect(resolveIn(checkout)).toEqual({ kind: 'sqlite', dir: join(checkout, '.agg') });
    expect(convexAppMarker(fileURLToPath(new URL('../..', import.meta.url)))).toBeNull();
    // Another package's, or a manifest that is not JSON, does not count as agg's.
    expect(convexAppMarker(dir({ 'convex.json': '{}', 'package.json': '{"name": "agg-fork"}' }))).toBe('convex.json found');
    expect(convexAppMarker(dir({ 'convex.json': '{}', 'package.json': '{"name": "agg"' }))).toBe('convex.json found');
    // Once agg's checkout is linked to a deployment (npx convex dev wrote .env.local), it needs a key too.
    const linked = dir({ 'convex.json': '{}', 'package.json': '{"name": "agg"}', '.env.local': 'CONVEX_DEPLOYMENT=dev:happy-animal-123\n' });
    expect(refusal(() => resolveIn(linked))).toMatch(GUARD);
  });

  it('hands every key it finds to the redactor before it can fail, and never puts one in a message', () => {
    const fileKey = 'dev:happy-animal-123|eyJ2MiI6ImZyb20tYS1maWxlIn0=';
    const shadowed = 'dev:happy-animal-123|eyJ2MiI6InNoYWRvd2VkLWluLWRvdGVudiJ9';
    const cwd = dir({ '.env.local': `CONVEX_DEPLOY_KEY=${fileKey}\nCONVEX_URL=https://other-deploy-7.convex.cloud\n`, '.env': `CONVEX_DEPLOY_KEY=${shadowed}\n` });
    const redactor = new Redactor();
    let message = '';
    try {
      resolveStoreTarget({}, {}, cwd, (secret) => redactor.add(secret));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/the deploy key is for the deployment happy-animal-123/);
    for (const key of [fileKey, shadowed]) {
      expect(message).not.toContain(key.split('|')[1]);
      expect(redactor.apply(key)).toBe('[redacted]');
    }
  });

  it('finds a self-hosted backend as `npx convex dev` writes it, and refuses one without its admin key', () => {
    const selfHostedKey = 'convex-self-hosted|01a4e5bd2c0ffee0c0ffee0c0ffee0c0ffee';
    const cwd = dir({ '.env.local': `CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\nCONVEX_SELF_HOSTED_ADMIN_KEY=${selfHostedKey}\n` });
    const secrets: (string | undefined)[] = [];
    const target = resolveStoreTarget({}, {}, cwd, (secret) => secrets.push(secret));
    expect(target).toMatchObject({ kind: 'convex', url: 'http://127.0.0.1:3210', adminKey: selfHostedKey, production: false });
    expect(secrets).toContain(selfHostedKey);
    expect(refusal(() => resolveIn(dir({ '.env.local': 'CONVEX_SELF_HOSTED_URL=http://127.0.0.1:3210\n' })))).toMatch(
      /^this directory is a Convex app \(CONVEX_SELF_HOSTED_URL in \.env\.local: http:\/\/127\.0\.0\.1:3210\) but no deploy key is set: .*CONVEX_SELF_HOSTED_ADMIN_KEY/,
    );
    expect(refusal(() => resolveIn(dir(), {}, { CONVEX_SELF_HOSTED_ADMIN_KEY: '' }))).toMatch(/^CONVEX_SELF_HOSTED_ADMIN_KEY is set but empty/);
  });

  it('refuses a CONVEX_DEPLOY_KEY that is set but empty (an unset CI secret), and ignores empty values in files', () => {
    expect(refusal(() => resolveIn(dir(), {}, { CONVEX_DEPLOY_KEY: '' }))).toMatch(/^CONVEX_DEPLOY_KEY is set but empty/);
    expect(refusal(() => resolveIn(dir(), { adminKey: ' ' }))).toMatch(/^--admin-key is empty/);
    expect(resolveIn(dir({ '.env': 'CONVEX_DEPLOY_KEY=\nCONVEX_URL=\nCONVEX_DEPLOYMENT=\n' }))).toMatchObject({ kind: 'sqlite' });
  });
});

describe('parseDotenv', () => {
  it('reads the lines the Convex CLI writes', () => {
    expect(parseDotenv('# comment\nexport A=1\nB = "two words" # c\nC=three # note\nD=\'q\'\nbad line\n')).toEqual({ A: '1', B: 'two words', C: 'three', D: 'q' });
  });
});
