import { z } from 'zod';
import { archiveDocument, archiveListDocument, archivePlanDocument, archiveRestoreDocument, archiveVerifyDocument } from './archive.js';
import { backfillDocument, nothingToResumeDocument } from './backfill.js';
import { cleanupDocument } from './cleanup.js';
import { computeDocument } from './compute.js';
import { deleteUserDocument, deleteUserPlanDocument } from './delete-user.js';
import { importDocument } from './import.js';
import { parseDocument } from './parse.js';
import { rolloutCheckDocument, rolloutHistoryDocument, rolloutOverridesDocument, rolloutPercentDocument, rolloutRollbackDocument, rolloutStatusDocument } from './rollout.js';
import { runDocument, runsClearDocument, runsDocument } from './runs.js';
import { showListDocument, showResultDocument } from './show.js';
import { statusDocument } from './status.js';
import { usersDocument } from './users.js';
import { validateDocument } from './validate.js';

// Every JSON document agg prints, by schema id: the one list docs/json-output.md, the files in
// docs/schemas/ (npm run schemas) and the tests that check real outputs all start from.

export interface JsonOutput {
  /** The document's `schema` value, e.g. agg.status/v1. */
  readonly id: string;
  /** The command line that prints it. */
  readonly usage: string;
  readonly schema: z.ZodType;
}

export const JSON_OUTPUTS: readonly JsonOutput[] = [
  { id: 'agg.users/v1', usage: 'agg users --json', schema: usersDocument },
  { id: 'agg.import/v1', usage: 'agg import FILE --user ID --json', schema: importDocument },
  { id: 'agg.delete-user/v1', usage: 'agg delete-user ID --yes --json', schema: deleteUserDocument },
  { id: 'agg.delete-user.plan/v1', usage: 'agg delete-user ID --dry-run --json', schema: deleteUserPlanDocument },
  { id: 'agg.show/v1', usage: 'agg show USER --json', schema: showListDocument },
  { id: 'agg.show.result/v1', usage: 'agg show USER TYPE --json', schema: showResultDocument },
  { id: 'agg.backfill/v1', usage: 'agg backfill … --json', schema: backfillDocument },
  { id: 'agg.nothing-to-resume/v1', usage: 'agg backfill|validate --resume RUN --json (a run that succeeded)', schema: nothingToResumeDocument },
  { id: 'agg.validate/v1', usage: 'agg validate --format json', schema: validateDocument },
  { id: 'agg.runs/v1', usage: 'agg runs --json', schema: runsDocument },
  { id: 'agg.run/v1', usage: 'agg runs show RUN --json', schema: runDocument },
  { id: 'agg.runs.clear/v1', usage: 'agg runs --clear RUN --json', schema: runsClearDocument },
  { id: 'agg.status/v1', usage: 'agg status --json', schema: statusDocument },
  { id: 'agg.parse/v1', usage: 'agg parse FILE --json', schema: parseDocument },
  { id: 'agg.compute/v1', usage: 'agg compute FILE --json', schema: computeDocument },
  { id: 'agg.rollout/v1', usage: 'agg rollout --json', schema: rolloutStatusDocument },
  { id: 'agg.rollout.check/v1', usage: 'agg rollout --check USER --json', schema: rolloutCheckDocument },
  { id: 'agg.rollout.history/v1', usage: 'agg rollout --history --json', schema: rolloutHistoryDocument },
  { id: 'agg.rollout.percent/v1', usage: 'agg rollout --percent P --json', schema: rolloutPercentDocument },
  { id: 'agg.rollout.rollback/v1', usage: 'agg rollout --rollback --json', schema: rolloutRollbackDocument },
  { id: 'agg.rollout.overrides/v1', usage: 'agg rollout --enable-user|--disable-user|--clear-user ID --json', schema: rolloutOverridesDocument },
  { id: 'agg.cleanup/v1', usage: 'agg cleanup --json', schema: cleanupDocument },
  { id: 'agg.archive/v1', usage: 'agg archive --json', schema: archiveDocument },
  { id: 'agg.archive.plan/v1', usage: 'agg archive --dry-run --json', schema: archivePlanDocument },
  { id: 'agg.archive.list/v1', usage: 'agg archive --list --json', schema: archiveListDocument },
  { id: 'agg.archive.verify/v1', usage: 'agg archive --verify MANIFEST --json', schema: archiveVerifyDocument },
  { id: 'agg.archive.restore/v1', usage: 'agg archive --restore MANIFEST --json', schema: archiveRestoreDocument },
];

/** docs/schemas/<file>: `agg.archive.list/v1` is agg.archive.list.v1.json. */
export function schemaFileName(id: string): string {
  return `${id.replace('/', '.')}.json`;
}

/** The output by its schema id. */
export function jsonOutput(id: string): JsonOutput {
  const found = JSON_OUTPUTS.find((output) => output.id === id);
  if (found === undefined) throw new Error(`no JSON output ${id}`);
  return found;
}

/** One output's JSON Schema (draft 2020-12), as the file in docs/schemas/ holds it. */
export function jsonSchemaOf(output: JsonOutput): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(output.schema, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>;
  return { $schema, $id: schemaFileName(output.id), ...rest };
}

/** Every file of docs/schemas/: name → text (two-space JSON with a final newline). */
export function jsonSchemaFiles(): Map<string, string> {
  return new Map(JSON_OUTPUTS.map((output) => [schemaFileName(output.id), `${JSON.stringify(jsonSchemaOf(output), null, 2)}\n`]));
}
