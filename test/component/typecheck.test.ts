import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The component runs in Convex's default runtime, which has no Node.js: src/component/tsconfig.json
// (the Convex template, with no Node types) typechecks it and the core it imports as Convex would.

const root = fileURLToPath(new URL('../..', import.meta.url));
const project = ['-p', 'src/component/tsconfig.json'];

function tsc(...args: string[]): string {
  return execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', ...project, ...args], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
}

/** tsc's diagnostics, or null when the project typechecks. */
function typecheckErrors(): string | null {
  try {
    tsc();
    return null;
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    return [stdout, stderr].filter((text) => text !== undefined && text.trim() !== '').join('\n') || message;
  }
}

describe('src/component', () => {
  it('is typechecked with no ambient types (no Node)', () => {
    const config = JSON.parse(tsc('--showConfig')) as { compilerOptions: { types?: string[]; noEmit?: boolean } };
    expect(config.compilerOptions.types).toEqual([]);
    expect(config.compilerOptions.noEmit).toBe(true);
  });

  it('typechecks without Node types, as Convex runs it', { timeout: 120_000 }, () => {
    expect(typecheckErrors()).toBeNull();
  });
});
