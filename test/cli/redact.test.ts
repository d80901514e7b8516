import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/cli/redact.js';

const DEV_KEY = 'dev:happy-animal-123|eyJ2MiI6ImZha2Uta2V5LWZvci10ZXN0cy1vbmx5In0=';

describe('Redactor', () => {
  it('removes whole keys and their secret halves from text and recorded arguments', () => {
    const redactor = new Redactor();
    redactor.add(DEV_KEY);
    const secret = DEV_KEY.split('|')[1]!;
    expect(redactor.apply(`key=${DEV_KEY} and ${secret}`)).toBe('key=[redacted] and [redacted]');
    expect(redactor.args(['backfill', '--admin-key', DEV_KEY, `--admin-key=${DEV_KEY}`, '--all'])).toEqual(['backfill', '--admin-key', '[redacted]', '--admin-key=[redacted]', '--all']);
  });
});
