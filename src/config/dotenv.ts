import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { UsageError } from '../errors.js';

/** Parses KEY=VALUE lines as the Convex CLI writes them (comments, quotes, `export`): Node's own parser. */
export function parseDotenv(text: string): Record<string, string> {
  return { ...parseEnv(text) } as Record<string, string>;
}

/** One dotenv file that was read: its name as messages show it, and its values. */
export interface DotenvSource {
  readonly name: string;
  readonly values: Readonly<Record<string, string>>;
}

/**
 * The dotenv files agg reads, most specific first: `envFile` alone when given (as `npx convex --env-file`
 * does; it must be readable), else `.env.local` then `.env` in `dir` (missing files are fine).
 */
export function readDotenvSources(dir: string, envFile?: string, named = '--env-file'): DotenvSource[] {
  if (envFile !== undefined) {
    if (envFile.trim() === '') throw new UsageError(`${named} is empty (expected a dotenv file such as .env.production)`);
    try {
      return [{ name: envFile, values: parseDotenv(readFileSync(resolve(dir, envFile), 'utf8')) }];
    } catch (error) {
      throw new UsageError(`${named} ${envFile}: ${unreadableReason(error)}`);
    }
  }
  const sources: DotenvSource[] = [];
  for (const name of ['.env.local', '.env']) {
    try {
      sources.push({ name, values: parseDotenv(readFileSync(join(dir, name), 'utf8')) });
    } catch {
      continue;
    }
  }
  return sources;
}

function unreadableReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory, not a dotenv file';
    case 'EACCES':
    case 'EPERM':
      return 'cannot read it (permission denied)';
    case 'ENOTDIR':
      return 'no such file (a part of the path is not a directory)';
    default:
      return `cannot read it (${(error as Error).message.split('\n')[0]})`;
  }
}
