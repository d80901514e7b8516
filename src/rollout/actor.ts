import { userInfo } from 'node:os';

/** CI systems' names for whoever started the job, in the order they are consulted. */
const CI_ACTOR_VARIABLES = ['GITHUB_ACTOR', 'GITLAB_USER_LOGIN', 'BUILDKITE_BUILD_CREATOR', 'CIRCLE_USERNAME', 'BITBUCKET_STEP_TRIGGERER_UUID', 'BUILD_REQUESTEDFOR'];

/**
 * Who makes a change, for the audit log: --actor, else the OS user, else the CI system's name for the
 * person who started the job, else "unknown". `source` says which, so the output can show it.
 */
export function resolveActor(option: string | undefined, env: Readonly<Record<string, string | undefined>>): { actor: string; source: string } {
  if (option !== undefined) return { actor: option, source: '--actor' };
  for (const name of ['USER', 'LOGNAME', 'USERNAME']) {
    const value = env[name]?.trim();
    if (value) return { actor: value, source: `the OS user (${name})` };
  }
  try {
    const name = userInfo().username.trim();
    if (name) return { actor: name, source: 'the OS user' };
  } catch {
    // No passwd entry (some containers): fall through to the CI environment.
  }
  for (const name of CI_ACTOR_VARIABLES) {
    const value = env[name]?.trim();
    if (value) return { actor: value, source: name };
  }
  return { actor: 'unknown', source: 'nothing (pass --actor)' };
}
