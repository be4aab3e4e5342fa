import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { policyJsonSchema } from '@ami-lifecycle/core';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import {
  CONFIGURATION_FILE,
  EVENTS_FILE,
  EXAMPLE_POLICY_FILE,
  fieldsWithoutDescription,
  fieldsWithoutExample,
  generate,
  type JsonSchema,
  ROOT,
  readExamplePolicy,
  SCHEMA_FILE,
  schemaFields,
  staleFiles,
} from '../../scripts/docs';

const SCHEMA_LINE = '# yaml-language-server: $schema=../schema/ami-lifecycle.schema.json';

const checkedInSchema = (): JsonSchema => JSON.parse(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8'));

const validator = (schema: object) => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv);
  return ajv.compile(schema);
};

describe('generated documents', () => {
  it('are checked in as scripts/docs.ts generates them now (run npx tsx scripts/docs.ts when this fails)', () => {
    const files = generate();
    expect(files.map((f) => f.path).sort()).toEqual([CONFIGURATION_FILE, EVENTS_FILE, SCHEMA_FILE].sort());
    expect(staleFiles(files)).toEqual([]);
  });

  it('include the JSON Schema exactly as packages/core exports it', () => {
    expect(checkedInSchema()).toEqual(policyJsonSchema());
  });
});

describe('the policy schema', () => {
  const schema = policyJsonSchema() as JsonSchema;

  it('describes every field (.describe() in packages/core/src/config)', () => {
    expect(fieldsWithoutDescription(schema)).toEqual([]);
  });

  it('has an example for every field that holds a value (in the example policy or .meta({ examples }))', () => {
    expect(fieldsWithoutExample(schema, readExamplePolicy())).toEqual([]);
  });

  it('gives only examples that its own field accepts', () => {
    const invalid = schemaFields(schema).flatMap((field) =>
      (field.schema.examples ?? []).flatMap((example) => {
        const validate = validator({ $schema: schema.$schema, ...field.schema });
        return validate(example) ? [] : [`${field.path}: ${JSON.stringify(example)}`];
      }),
    );
    expect([...new Set(invalid)]).toEqual([]);
    // Not vacuous: the schema does give examples of its own.
    expect(schemaFields(schema).filter((f) => f.schema.examples !== undefined).length).toBeGreaterThan(0);
  });
});

describe(`the example policy (${EXAMPLE_POLICY_FILE})`, () => {
  const text = readFileSync(join(ROOT, EXAMPLE_POLICY_FILE), 'utf8');

  it('names the checked-in schema on its first line, for the YAML language server', () => {
    const [first] = text.split('\n');
    expect(first).toBe(SCHEMA_LINE);
    const named = first!.slice(first!.indexOf('$schema=') + '$schema='.length);
    expect(resolve(dirname(join(ROOT, EXAMPLE_POLICY_FILE)), named)).toBe(join(ROOT, SCHEMA_FILE));
  });

  it('is valid against the checked-in JSON Schema', () => {
    const validate = validator(checkedInSchema());
    const ok = validate(parse(text));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('is refused by the schema once broken, so the validation above means something', () => {
    const validate = validator(checkedInSchema());
    type Policy = {
      regions: Record<string, unknown>;
      families: Record<string, Record<string, unknown>>;
    };
    const policy = parse(text) as Policy;
    const broken = structuredClone(policy);
    broken.families['golden-al2023']!.publish = { approval: 'sometimes' };
    expect(validate(broken)).toBe(false);
    expect(validate.errors?.map((e) => e.instancePath)).toContain('/families/golden-al2023/publish/approval');
    const misspelt = structuredClone(policy);
    misspelt.regions.hoem = misspelt.regions.home;
    expect(validate(misspelt)).toBe(false);
  });
});
