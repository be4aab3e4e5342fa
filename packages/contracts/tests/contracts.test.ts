import { readdirSync } from 'node:fs';
import { z } from 'zod';
import {
  buildEntry,
  ContractViolationError,
  contracts,
  type DetailType,
  detailJsonSchema,
  detailTypes,
  EVENT_SOURCE,
  type EventContract,
  fixturePath,
  type ImageBuiltDetail,
  imageBuilt,
  parseDetail,
  parseEventBridgeEvent,
  readFixture,
  UnknownDetailTypeError,
} from '../src/index';

/** design 4, copied by hand on purpose: a contract removed from the registry must fail here. */
const DESIGN_DETAIL_TYPES = [
  'Build Requested',
  'Image Built',
  'Image Build Failed',
  'Image Inspection Completed',
  'Image Approved',
  'Image Rejected',
  'Image Published',
  'Image Vulnerable',
  'Image Deprecated',
  'Image Disabled',
  'Image Retired',
  'Retention Sweep Completed',
];

const EXPECTED_PATHS_FILE = 'invalid-paths.json';

const expectedPaths = (contract: EventContract): Record<string, string> =>
  readFixture(`${contract.fixtures.directory}/${EXPECTED_PATHS_FILE}`) as Record<string, string>;

const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/** Runs `act` and returns what it threw, failing the test when it did not throw. */
const thrownBy = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

const validImageBuilt = readFixture(imageBuilt.fixtures.valid[0]!) as ImageBuiltDetail;

describe('the contract registry', () => {
  it('has exactly one contract for every detail-type of design 4', () => {
    expect([...detailTypes].sort()).toEqual([...DESIGN_DETAIL_TYPES].sort());
    expect(new Set(detailTypes).size).toBe(detailTypes.length);
  });

  it.each(contracts.map((c) => [c.detailType, c] as const))(
    '%s uses the product source and names its latest schema in its versions',
    (_, contract) => {
      expect(contract.source).toBe('ami-lifecycle');
      expect(Number.isInteger(contract.version) && contract.version >= 1).toBe(true);
      expect((contract.schemas as Record<number, unknown>)[contract.version]).toBe(contract.schema);
    },
  );
});

describe.each(contracts.map((c) => [c.detailType, c] as const))('%s fixtures', (detailType, contract) => {
  it('are declared exactly as they are on disk, with a failing path for every invalid one', () => {
    const onDisk = readdirSync(fixturePath(contract.fixtures.directory))
      .filter((file) => file !== EXPECTED_PATHS_FILE)
      .sort();
    const declaredValid = contract.fixtures.valid.map(fileName);
    const declaredInvalid = contract.fixtures.invalid.map(fileName);

    expect([...declaredValid, ...declaredInvalid].sort()).toEqual(onDisk);
    expect(declaredValid.every((file) => file.startsWith('valid-'))).toBe(true);
    expect(declaredInvalid.every((file) => file.startsWith('invalid-'))).toBe(true);
    expect(declaredValid.length).toBeGreaterThanOrEqual(1);
    expect(declaredInvalid.length).toBeGreaterThanOrEqual(2);
    expect(Object.keys(expectedPaths(contract)).sort()).toEqual([...declaredInvalid].sort());
  });

  it('parse when valid, whatever schema version they were written for', () => {
    for (const path of contract.fixtures.valid) {
      const detail = readFixture(path);

      expect(parseDetail(detailType, detail)).toEqual(detail);
    }
  });

  it('cover every schema version still accepted, so old versions keep parsing', () => {
    const fixtureVersions = new Set(
      contract.fixtures.valid.map((path) => (readFixture(path) as { schemaVersion: number }).schemaVersion),
    );

    expect([...fixtureVersions].sort()).toEqual(Object.keys(contract.schemas).map(Number).sort());
  });

  it.each(contract.fixtures.invalid.map((path) => [fileName(path), path] as const))(
    'refuse %s, naming exactly the broken field',
    (file, path) => {
      const error = thrownBy(() => parseDetail(detailType, readFixture(path)));

      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).paths).toEqual([expectedPaths(contract)[file]]);
    },
  );
});

describe('ContractViolationError', () => {
  it('lists every issue with its path, and keeps the zod error as its cause', () => {
    const { family: _, ...withoutFamily } = validImageBuilt;

    const error = thrownBy(() =>
      parseDetail('Image Built', { ...withoutFamily, imageId: 'i-0123456789abcdef0', colour: 'blue' }),
    ) as ContractViolationError;

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ContractViolationError');
    expect(error.detailType).toBe('Image Built');
    expect(error.cause).toBeInstanceOf(z.ZodError);
    expect(error.message).toContain('detail.family: Invalid input: expected string, received undefined');
    expect(error.message).toContain('detail.imageId: Expected an AMI id');
    expect(error.message).toContain('detail.colour: Unrecognized key');
    expect(error.paths.sort()).toEqual(['detail.colour', 'detail.family', 'detail.imageId']);
  });

  it('names the detail itself when it is not an object', () => {
    const error = thrownBy(() => parseDetail('Image Built', 'not a detail')) as ContractViolationError;

    expect(error.paths).toEqual(['detail']);
  });
});

describe('parseDetail', () => {
  it.each(['Image Exploded', 'constructor'])('refuses the unknown detail-type %s', (detailType) => {
    const error = thrownBy(() => parseDetail(detailType as DetailType, validImageBuilt));

    expect(error).toBeInstanceOf(UnknownDetailTypeError);
    expect((error as UnknownDetailTypeError).name).toBe('UnknownDetailTypeError');
    expect((error as UnknownDetailTypeError).detailType).toBe(detailType);
  });
});

describe('buildEntry', () => {
  it.each(contracts.map((c) => [c.detailType, c] as const))(
    'builds a %s entry whose Detail round-trips through the contract',
    (detailType, contract) => {
      const detail = parseDetail(detailType, readFixture(contract.fixtures.valid[0]!));

      const entry = buildEntry(detailType, detail, 'ami-lifecycle-test');

      expect(entry).toEqual({
        Source: EVENT_SOURCE,
        DetailType: detailType,
        Detail: expect.any(String),
        EventBusName: 'ami-lifecycle-test',
      });
      expect(parseDetail(detailType, JSON.parse(entry.Detail))).toEqual(detail);
    },
  );

  it('refuses to build an entry for a detail that breaks its contract', () => {
    const broken = { ...validImageBuilt, buildKey: 'not-a-hash' };

    const error = thrownBy(() => buildEntry('Image Built', broken, 'ami-lifecycle-test'));

    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).paths).toEqual(['detail.buildKey']);
  });
});

describe('parseEventBridgeEvent', () => {
  const envelope = readFixture('tests/events/envelopes/image-published.json') as Record<string, unknown>;

  it('parses an EventBridge event and narrows its detail by detail-type', () => {
    const event = parseEventBridgeEvent(envelope);

    if (event['detail-type'] !== 'Image Published') throw new Error(`unexpected ${event['detail-type']}`);
    expect(event.id).toBe('3f1c9a7e-8b2d-4e6f-a1c3-5d7e9f0b2c4d');
    expect(event.detail.regions['us-east-1']).toBe('ami-03c4d5e6f7a8b9c0d');
    expect(event.detail).toEqual(envelope.detail);
  });

  it('keeps envelope fields AWS may add', () => {
    const event = parseEventBridgeEvent({ ...envelope, 'replay-name': 'replay-2025-01-15' });

    expect(event).toHaveProperty('replay-name', 'replay-2025-01-15');
  });

  it('refuses an event from another source, naming the source', () => {
    const error = thrownBy(() => parseEventBridgeEvent({ ...envelope, source: 'aws.ec2' }));

    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).detailType).toBeUndefined();
    expect((error as ContractViolationError).paths).toEqual(['source']);
  });

  it('refuses an unknown detail-type with UnknownDetailTypeError', () => {
    const error = thrownBy(() => parseEventBridgeEvent({ ...envelope, 'detail-type': 'Image Exploded' }));

    expect(error).toBeInstanceOf(UnknownDetailTypeError);
  });

  it('names a bad detail field by its path in the event', () => {
    const detail = { ...(envelope.detail as object), channels: [] };

    const error = thrownBy(() => parseEventBridgeEvent({ ...envelope, detail }));

    expect((error as ContractViolationError).detailType).toBe('Image Published');
    expect((error as ContractViolationError).paths).toEqual(['detail.channels']);
  });

  it('refuses a detail of the wrong detail-type', () => {
    const error = thrownBy(() => parseEventBridgeEvent({ ...envelope, detail: validImageBuilt }));

    expect(error).toBeInstanceOf(ContractViolationError);
    expect((error as ContractViolationError).paths).toEqual(
      expect.arrayContaining(['detail.channels', 'detail.buildId']),
    );
  });
});

describe('detailJsonSchema', () => {
  it('exports Image Built as a strict JSON Schema carrying the same rules', () => {
    const schema = detailJsonSchema('Image Built');

    expect(schema).toMatchObject({
      title: 'Image Built v1',
      type: 'object',
      additionalProperties: false,
      properties: {
        schemaVersion: { const: 1 },
        imageId: { type: 'string', pattern: '^ami-[0-9a-f]{8,17}$' },
        occurredAt: { type: 'string', format: 'date-time' },
        snapshotIds: { type: 'array', minItems: 1 },
      },
    });
    expect(schema.required).toEqual(
      expect.arrayContaining(['family', 'version', 'imageId', 'correlationId', 'idempotencyKey', 'buildKey']),
    );
    expect(schema.required).not.toContain('parent');
  });
});
