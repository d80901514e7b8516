// The component's validators and the client's zod schemas describe the same rows: their fields agree.
import { describe, expect, it } from 'vitest';
import { digestValidator, runFields, userSummaryValidator } from '../../src/component/validators.js';
import { aggregationDigestSchema, runRecordSchema, userSummarySchema } from '../../src/store/types.js';

const keys = (fields: object) => Object.keys(fields).sort();

describe('the component validators and the store schemas', () => {
  it('name the same fields for a run, a digest (less its storage detail) and a user summary', () => {
    expect(keys(runFields)).toEqual(keys(runRecordSchema.shape));
    expect(keys(digestValidator.fields).filter((key) => key !== 'chunkCount')).toEqual(keys(aggregationDigestSchema.shape));
    expect(keys(userSummaryValidator.fields)).toEqual(keys(userSummarySchema.shape));
  });
});
