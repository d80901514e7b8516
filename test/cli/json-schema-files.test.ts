import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_OUTPUTS, jsonSchemaFiles, schemaFileName } from '../../src/cli/json-schemas/index.js';

// docs/schemas/ is generated from the zod schemas (npm run schemas): regenerated here in memory, it
// must equal what is committed, so the published JSON Schemas cannot drift from what agg prints.

const DIR = join(import.meta.dirname, '../../docs/schemas');

describe('docs/schemas', () => {
  const files = jsonSchemaFiles();

  it('holds exactly one file per JSON output, each as npm run schemas writes it', () => {
    expect(readdirSync(DIR).sort()).toEqual([...files.keys()].sort());
    for (const [name, text] of files) expect(readFileSync(join(DIR, name), 'utf8'), `docs/schemas/${name} is out of date: run npm run schemas`).toBe(text);
  });

  it('gives every output a distinct id of the form agg.<command>[.<form>]/v1, and its file that id', () => {
    const ids = JSON_OUTPUTS.map((output) => output.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const output of JSON_OUTPUTS) {
      expect(output.id).toMatch(/^agg\.[a-z-]+(\.[a-z-]+)?\/v\d+$/);
      const schema = JSON.parse(files.get(schemaFileName(output.id))!) as { $id: string; title?: string; properties?: { schema?: { const?: string } }; oneOf?: { properties: { schema: { const: string } } }[] };
      expect(schema.$id).toBe(schemaFileName(output.id));
      // The schema key is pinned to the id (in every variant of a union).
      const consts = schema.properties ? [schema.properties.schema?.const] : (schema.oneOf ?? []).map((variant) => variant.properties.schema.const);
      expect(consts.length).toBeGreaterThan(0);
      for (const value of consts) expect(value).toBe(output.id);
    }
  });

  it('is strict: every object refuses keys it does not document', () => {
    const loose: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.properties !== undefined && schema.additionalProperties !== false) loose.push(path);
      for (const [key, value] of Object.entries(schema)) walk(value, `${path}/${key}`);
    };
    for (const [name, text] of files) walk(JSON.parse(text), name);
    expect(loose).toEqual([]);
  });
});
