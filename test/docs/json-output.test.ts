import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_OUTPUTS, schemaFileName } from '../../src/cli/json-schemas/index.js';

// docs/json-output.md lists every JSON document agg prints, links its JSON Schema and shows an example:
// each example must be a document of its schema (shortened only by leaving elements or nested keys out,
// never by adding a key the schema does not document).

const ROOT = join(import.meta.dirname, '../..');
const PAGE = readFileSync(join(ROOT, 'docs/json-output.md'), 'utf8');

/** The JSON block under each `### \`id\`` heading. */
function examples(): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of PAGE.matchAll(/^### `([^`]+)`\n\n```json\n([\s\S]*?)\n```/gm)) found.set(match[1]!, match[2]!);
  return found;
}

describe('docs/json-output.md', () => {
  it('lists every schema id with its JSON Schema file, which exists', () => {
    for (const { id, usage } of JSON_OUTPUTS) {
      const file = schemaFileName(id);
      expect(PAGE, id).toContain(`| \`${id}\` |`);
      expect(PAGE, id).toContain(`[${file}](schemas/${file})`);
      expect(existsSync(join(ROOT, 'docs/schemas', file)), file).toBe(true);
      expect(usage.startsWith('agg ')).toBe(true);
    }
    const listed = [...PAGE.matchAll(/^\| `(agg\.[^`]+)` \|/gm)].map((match) => match[1]);
    expect(listed).toEqual(JSON_OUTPUTS.map((output) => output.id));
  });

  it('shows one example per schema id, each a document of that schema', () => {
    const found = examples();
    expect([...found.keys()].sort()).toEqual(JSON_OUTPUTS.map((output) => output.id).sort());
    for (const { id, schema } of JSON_OUTPUTS) {
      const document = JSON.parse(found.get(id)!) as Record<string, unknown>;
      expect(Object.keys(document)[0], id).toBe('schema');
      expect(document.schema, id).toBe(id);
      const parsed = schema.safeParse(document);
      const issues = parsed.success ? [] : parsed.error.issues;
      // Left out for brevity below the top level: a missing nested key is fine, anything else is not.
      const wrong = issues.filter((issue) => !(issue.code === 'invalid_type' && issue.path.length > 1 && /received undefined/.test(issue.message)));
      expect(wrong.map((issue) => `${issue.path.join('.')}: ${issue.message}`), id).toEqual([]);
    }
  });
});
