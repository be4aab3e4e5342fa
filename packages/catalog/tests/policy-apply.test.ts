import { randomUUID } from 'node:crypto';
import {
  ConcurrentConfigApplyError,
  ConfigVersionConflictError,
  configKey,
  createTable,
  currentConfigKeys,
  currentOrganizationConfigKey,
  DynamoDbCatalog,
  dynamoItemBytes,
  InMemoryCatalog,
  MAX_ITEM_BYTES,
  organizationConfigKey,
  type PolicyConfigChange,
  type PolicyConfigStore,
  policyHeadKey,
  STALE_APPLY_MS,
} from '@ami-lifecycle/catalog';
import { localClientConfig } from '@ami-lifecycle/catalog/local';
import { type CatalogPort, type StoredFamilyConfig, ValidationError } from '@ami-lifecycle/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import { anOrgConfig, at } from './fixtures';

type Catalog = CatalogPort & PolicyConfigStore;
type Item = Record<string, unknown>;

const endpoint = dynamoDbEndpoint();
let raw: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(() => {
  raw = new DynamoDBClient(localClientConfig(endpoint));
  doc = DynamoDBDocumentClient.from(raw);
});
afterAll(() => raw.destroy());

const freshTable = async (): Promise<string> => {
  const tableName = `policy-apply-test-${randomUUID()}`;
  await createTable(raw, tableName, { timeoutMs: 5_000, pollMs: 10 });
  return tableName;
};

const byKey = (a: Item, b: Item): number =>
  `${a.PK}\u0000${a.SK}` < `${b.PK}\u0000${b.SK}`
    ? -1
    : `${a.PK}\u0000${a.SK}` > `${b.PK}\u0000${b.SK}`
      ? 1
      : 0;

/** Every item of a table, in key order (a Scan: fine for a test's small table). */
const scanAll = async (tableName: string): Promise<Item[]> => {
  const items: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start !== undefined);
  return items.sort(byKey);
};

interface Subject {
  catalog: Catalog;
  /** Every item the catalog holds, in key order. */
  dump(): Promise<Item[]>;
  /** Stores items as they are, as another writer of the table would. */
  putRaw(...items: Item[]): Promise<void>;
}

const FAMILIES = ['base-os', 'golden-al2023', 'orders-worker', 'payments-api'] as const;
const LAST = 'payments-api';

/** Version 1 of every family and of the organisation, stored by one apply. */
const seed = async (catalog: Catalog): Promise<void> => {
  await catalog.applyPolicyConfigs({
    organization: { expectedCurrent: null, config: anOrgConfig() },
    families: FAMILIES.map((family) => ({ family, expectedCurrent: null, config: { family, v: 1 } })),
    at: at(0),
    by: 'alice',
  });
};

/** The next version of every family and of the organisation, each expected at version 1. */
const nextPolicy = (overrides: Partial<PolicyConfigChange> = {}): PolicyConfigChange => ({
  organization: {
    expectedCurrent: 1,
    config: anOrgConfig({
      sweep: {
        maxRetirementsPerRun: 7,
        maxInventoryAgeMinutes: 30,
        afterPolicyChange: 'dry-run',
        snapshotPricePerGiBMonth: {},
      },
    }),
  },
  families: FAMILIES.map((family) => ({ family, expectedCurrent: 1, config: { family, v: 2 } })),
  at: at(10),
  by: 'bob',
  ...overrides,
});

/** What every reader sees of the configs: current ones, every version, the listing, the organisation. */
const readAll = async (catalog: CatalogPort) => ({
  current: await Promise.all(FAMILIES.map((f) => catalog.getFamilyConfig(f))),
  versions: await Promise.all(FAMILIES.map(async (f) => (await catalog.listFamilyConfigVersions(f)).items)),
  next: await Promise.all(FAMILIES.map((f) => catalog.getFamilyConfig(f, 2))),
  listed: await catalog.listFamilyConfigs(),
  organization: await catalog.getOrganizationConfig(),
  nextOrganization: await catalog.getOrganizationConfig(2),
});

/** A config version and its view as an amictl from before the policy head wrote them: no staging. */
const legacyItems = (family: string, version: number, config: unknown): Item[] => {
  const stored = {
    entity: 'family-config',
    family,
    version,
    configJson: JSON.stringify(config),
    storedAt: at(version),
    storedBy: 'old-amictl',
  };
  return [
    { ...stored, ...configKey(family, version) },
    { ...stored, ...currentConfigKeys(family) },
  ];
};

/** An error after which a request may or may not have taken effect. */
const outcomeUnknown = (message: string): Error =>
  Object.assign(new Error(message), { name: 'TimeoutError' });

describe.each<[string, () => Promise<Subject>]>([
  [
    'InMemoryCatalog',
    async () => {
      const catalog = new InMemoryCatalog();
      return {
        catalog,
        dump: async () => catalog.dump(),
        putRaw: async (...items) => (catalog as unknown as { write(...items: Item[]): void }).write(...items),
      };
    },
  ],
  [
    'DynamoDbCatalog on DynamoDB Local',
    async () => {
      const tableName = await freshTable();
      return {
        catalog: new DynamoDbCatalog({ tableName, client: doc }),
        dump: () => scanAll(tableName),
        putRaw: async (...items) => {
          for (const item of items) await doc.send(new PutCommand({ TableName: tableName, Item: item }));
        },
      };
    },
  ],
])('%s: a policy apply is whole or nothing', (_name, make) => {
  let subject: Subject;
  beforeEach(async () => {
    subject = await make();
    await seed(subject.catalog);
  });

  it('makes every new version current together, and each per-family read sees it', async () => {
    const applied = await subject.catalog.applyPolicyConfigs(nextPolicy());

    expect(applied.families.map((c) => [c.family, c.version])).toEqual(FAMILIES.map((f) => [f, 2]));
    expect(applied.organization?.version).toBe(2);
    for (const family of FAMILIES) {
      expect(await subject.catalog.getFamilyConfig(family)).toEqual({
        family,
        version: 2,
        config: { family, v: 2 },
        storedAt: at(10),
        storedBy: 'bob',
      });
      expect((await subject.catalog.getFamilyConfig(family, 1))?.config).toEqual({ family, v: 1 });
      expect((await subject.catalog.listFamilyConfigVersions(family)).items.map((c) => c.version)).toEqual([
        1, 2,
      ]);
    }
    const listed = await subject.catalog.listFamilyConfigs();
    expect(listed.items.map((c) => [c.family, c.version])).toEqual(FAMILIES.map((f) => [f, 2]));
    expect((await subject.catalog.getOrganizationConfig())?.config).toMatchObject({
      sweep: { maxRetirementsPerRun: 7 },
    });
  });

  it('refuses a policy with one family too large to store, naming it and the limit, and changes no item', async () => {
    const before = await subject.dump();
    const change = nextPolicy({
      families: FAMILIES.map((family) => ({
        family,
        expectedCurrent: 1,
        config: family === 'orders-worker' ? { family, blob: 'x'.repeat(MAX_ITEM_BYTES) } : { family, v: 2 },
      })),
    });

    const refused = subject.catalog.applyPolicyConfigs(change);

    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      issues: [
        {
          path: 'families.orders-worker',
          message: expect.stringMatching(
            new RegExp(
              `^family orders-worker's config would be stored as a DynamoDB item of \\d+ bytes, over DynamoDB's item size limit of 400 KB \\(${MAX_ITEM_BYTES} bytes`,
            ),
          ),
        },
      ],
    });
    expect(await subject.dump()).toEqual(before);
  });

  it('refuses a policy whose last family changed since it was read, before writing anything', async () => {
    // Another apply stores version 2 of the last family after this one read version 1.
    await subject.catalog.putFamilyConfig(
      LAST,
      { other: true },
      { expectedCurrent: 1, at: at(5), by: 'carol' },
    );
    const before = await subject.dump();
    const seen = await readAll(subject.catalog);

    const refused = subject.catalog.applyPolicyConfigs(nextPolicy());

    await expect(refused).rejects.toBeInstanceOf(ConfigVersionConflictError);
    await expect(refused).rejects.toMatchObject({ family: LAST, expectedCurrent: 1, actualCurrent: 2 });
    expect(await subject.dump()).toEqual(before);
    expect(await readAll(subject.catalog)).toEqual(seen);
  });

  it('refuses when a config it only checks (unchanged in the policy) changed since it was read', async () => {
    await subject.catalog.putFamilyConfig(
      'base-os',
      { other: true },
      { expectedCurrent: 1, at: at(5), by: 'carol' },
    );
    const before = await subject.dump();
    const change = nextPolicy({
      families: FAMILIES.map((family) =>
        family === 'base-os'
          ? { family, expectedCurrent: 1 }
          : { family, expectedCurrent: 1, config: { family, v: 2 } },
      ),
    });

    await expect(subject.catalog.applyPolicyConfigs(change)).rejects.toMatchObject({
      name: 'ConfigVersionConflictError',
      family: 'base-os',
      expectedCurrent: 1,
      actualCurrent: 2,
    });
    expect(await subject.dump()).toEqual(before);
  });

  it('lets exactly one of two concurrent applies of the same policy win; the loser stores nothing', async () => {
    const results = await Promise.allSettled([
      subject.catalog.applyPolicyConfigs(nextPolicy({ by: 'bob' })),
      subject.catalog.applyPolicyConfigs(nextPolicy({ by: 'carol' })),
    ]);

    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(ConfigVersionConflictError);
    const winner = won[0]?.value.families[0]?.storedBy;
    for (const family of FAMILIES) {
      expect((await subject.catalog.getFamilyConfig(family))?.storedBy).toBe(winner);
      expect(await subject.catalog.getFamilyConfig(family, 3)).toBeUndefined();
    }
  });

  it('writes over a version an older amictl stored above the head, which no reader sees', async () => {
    await subject.putRaw(...legacyItems('base-os', 2, { old: true }));

    expect(await subject.catalog.getFamilyConfig('base-os')).toMatchObject({ version: 1 });
    expect(await subject.catalog.getFamilyConfig('base-os', 2)).toBeUndefined();
    await expect(
      subject.catalog.applyPolicyConfigs(
        nextPolicy({ families: [{ family: 'base-os', expectedCurrent: 2, config: { v: 3 } }] }),
      ),
    ).rejects.toMatchObject({ name: 'ConfigVersionConflictError', expectedCurrent: 2, actualCurrent: 1 });

    await subject.catalog.applyPolicyConfigs(nextPolicy());

    for (const family of FAMILIES) {
      expect(await subject.catalog.getFamilyConfig(family)).toMatchObject({
        version: 2,
        config: { family, v: 2 },
        storedBy: 'bob',
      });
    }
    expect((await subject.catalog.getFamilyConfig('base-os', 2))?.config).toEqual({
      family: 'base-os',
      v: 2,
    });
    expect((await subject.catalog.listFamilyConfigs()).items.map((c) => c.config)).toEqual(
      FAMILIES.map((family) => ({ family, v: 2 })),
    );
  });

  it('pages through the family list at the policy revision its first page read, across applies', async () => {
    const first = await subject.catalog.listFamilyConfigs({ limit: 2 });
    await subject.catalog.applyPolicyConfigs(nextPolicy());
    await subject.catalog.putFamilyConfig(
      'zz-other',
      { z: 1 },
      { expectedCurrent: null, at: at(11), by: 'carol' },
    );
    await subject.catalog.putFamilyConfig(
      LAST,
      { family: LAST, v: 3 },
      { expectedCurrent: 2, at: at(12), by: 'carol' },
    );

    const rest: StoredFamilyConfig[] = [];
    for (let cursor = first.cursor; cursor !== undefined; ) {
      const page = await subject.catalog.listFamilyConfigs({ limit: 2, cursor });
      rest.push(...page.items);
      cursor = page.cursor;
    }

    expect([...first.items, ...rest].map((c) => [c.family, c.version, c.config])).toEqual(
      FAMILIES.map((family) => [family, 1, { family, v: 1 }]),
    );
    expect((await subject.catalog.listFamilyConfigs()).items.map((c) => [c.family, c.version])).toEqual([
      ...FAMILIES.map((family) => [family, family === LAST ? 3 : 2]),
      ['zz-other', 1],
    ]);
  });
});

/** A document client whose TransactWriteItems, DeleteItem and PutItem calls pass through `hooks` first. */
const intercepted = (hooks: {
  transact?: (n: number, command: TransactWriteCommand) => Promise<void>;
  delete?: (command: DeleteCommand) => Promise<void>;
  put?: (command: PutCommand) => Promise<void>;
  /** What a query returns, given what DynamoDB returned. */
  query?: (command: QueryCommand, out: QueryCommandOutput) => QueryCommandOutput;
}): DynamoDBDocumentClient => {
  let transactions = 0;
  const send = async (command: unknown) => {
    if (command instanceof TransactWriteCommand) {
      transactions += 1;
      await hooks.transact?.(transactions, command);
    }
    if (command instanceof DeleteCommand) await hooks.delete?.(command);
    if (command instanceof PutCommand) await hooks.put?.(command);
    if (command instanceof QueryCommand && hooks.query !== undefined) {
      return hooks.query(command, await doc.send(command));
    }
    return doc.send(command as PutCommand);
  };
  return new Proxy(doc, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property)),
  });
};

/** How many TransactWriteItems a policy apply takes: two writes per transaction (and the head) here. */
const SMALL_TRANSACTIONS = { maxItems: 3 };

describe('DynamoDbCatalog on DynamoDB Local: a policy over several transactions', () => {
  let tableName: string;
  let plain: DynamoDbCatalog;
  beforeEach(async () => {
    tableName = await freshTable();
    plain = new DynamoDbCatalog({ tableName, client: doc });
    await seed(plain);
  });

  it('stages the versions in several transactions and makes them current with the last one', async () => {
    const sizes: number[] = [];
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (_n, command) => void sizes.push(command.input.TransactItems?.length ?? 0),
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    await catalog.applyPolicyConfigs(nextPolicy());

    // 5 versions (4 families, the organisation), 2 a transaction, each with the head: 3 transactions,
    // the last with one view; the other 4 views follow the head.
    expect(sizes).toEqual([3, 3, 3]);
    expect((await plain.listFamilyConfigs()).items.map((c) => [c.family, c.version])).toEqual(
      FAMILIES.map((f) => [f, 2]),
    );
    expect((await plain.getOrganizationConfig())?.version).toBe(2);
  });

  it('reads the version the head names when a current-config view lags behind it', async () => {
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({ put: async () => Promise.reject(new Error('connection reset')) }),
      transactions: SMALL_TRANSACTIONS,
    });

    await catalog.applyPolicyConfigs(nextPolicy());

    // The views that did not fit with the head were never written: they still show version 1.
    const views = (await scanAll(tableName)).filter((item) => item.SK === 'CONFIG#current');
    expect(views.filter((item) => item.version === 1).length).toBeGreaterThan(0);
    for (const family of FAMILIES) {
      expect(await plain.getFamilyConfig(family)).toMatchObject({ version: 2, config: { family, v: 2 } });
    }
    expect(await plain.getOrganizationConfig()).toMatchObject({ version: 2 });
  });

  it('keeps what it staged invisible until the last transaction, and removes it when that fails', async () => {
    const before = await scanAll(tableName);
    const seen = await readAll(plain);
    let midway: Awaited<ReturnType<typeof readAll>> | undefined;
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n) => {
          if (n < 3) return;
          midway = await readAll(plain);
          throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    await expect(catalog.applyPolicyConfigs(nextPolicy())).rejects.toThrow('socket hang up');

    expect(midway).toEqual(seen);
    // The outcome of the last transaction is unknown: the head moved on one revision, unchanged
    // otherwise, so it can no longer commit; everything else is as before.
    const after = await scanAll(tableName);
    const isHead = (item: Item) => item.PK === policyHeadKey().PK;
    expect(after.filter((item) => !isHead(item))).toEqual(before.filter((item) => !isHead(item)));
    const [headBefore, headAfter] = [before.find(isHead), after.find(isHead)];
    expect(headAfter).toMatchObject({
      revision: Number(headBefore?.revision) + 1,
      families: headBefore?.families,
      organization: headBefore?.organization,
    });
    expect(await readAll(plain)).toEqual(seen);
  });

  it('refuses a change of its last family that lands between its staged versions and its head, leaving nothing of its own', async () => {
    let before: Item[] = [];
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n) => {
          if (n !== 3) return;
          // Another apply stores the last family's version 2 just before this one's head is written.
          await plain.putFamilyConfig(LAST, { other: true }, { expectedCurrent: 1, at: at(9), by: 'carol' });
          before = await scanAll(tableName);
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    const refused = catalog.applyPolicyConfigs(nextPolicy());

    await expect(refused).rejects.toBeInstanceOf(ConfigVersionConflictError);
    await expect(refused).rejects.toMatchObject({ family: LAST, expectedCurrent: 1, actualCurrent: 2 });
    const after = await scanAll(tableName);
    // Versions 2 this apply staged are gone; carol's version 2 of the last family stays.
    expect(after).toEqual(before.filter((item) => item.applyId === undefined || item.storedBy !== 'bob'));
    expect(after.some((item) => item.storedBy === 'bob')).toBe(false);
    expect((await plain.getFamilyConfig(LAST))?.config).toEqual({ other: true });
    expect((await plain.getFamilyConfig('base-os'))?.version).toBe(1);
  });

  it('retries when the head moved for a family it does not touch, and then stores the whole policy', async () => {
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n) => {
          if (n === 3) {
            await plain.putFamilyConfig(
              'zz-other',
              { z: 1 },
              { expectedCurrent: null, at: at(9), by: 'carol' },
            );
          }
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    await catalog.applyPolicyConfigs(nextPolicy());

    expect((await plain.listFamilyConfigs()).items.map((c) => [c.family, c.version])).toEqual([
      ...FAMILIES.map((f) => [f, 2]),
      ['zz-other', 1],
    ]);
    // Two versions and a view of each family, a version and a view of the other one: nothing left over.
    expect(
      (await scanAll(tableName)).filter((item) => item.entity === 'family-config').map((item) => item.SK),
    ).toHaveLength(FAMILIES.length * 3 + 2);
  });

  it('fences off a last transaction whose outcome is unknown before deleting what it staged, so its late arrival changes nothing', async () => {
    const seen = await readAll(plain);
    let held: TransactWriteCommand | undefined;
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n, command) => {
          if (n !== 3) return;
          held = command;
          throw outcomeUnknown('socket hang up');
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    await expect(catalog.applyPolicyConfigs(nextPolicy())).rejects.toThrow('socket hang up');
    // The transaction whose answer never came reaches DynamoDB only now.
    await expect(doc.send(held as TransactWriteCommand)).rejects.toMatchObject({
      name: 'TransactionCanceledException',
    });

    expect(await readAll(plain)).toEqual(seen);
    expect((await scanAll(tableName)).filter((item) => item.storedBy === 'bob')).toEqual([]);
  });

  it("never deletes another apply's staged version when it cleans up its own at the same key", async () => {
    // Carol's apply stages its first transaction's versions, then waits before its next one.
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let staged!: () => void;
    const carolStaged = new Promise<void>((resolve) => {
      staged = resolve;
    });
    const carol = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n) => {
          if (n !== 2) return;
          staged();
          await released;
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });
    let carolApply: Promise<unknown> | undefined;
    // Bob's apply, from the same versions, loses its first transaction's answer while Carol's waits.
    const bob = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n) => {
          if (n !== 1) return;
          carolApply = carol.applyPolicyConfigs(nextPolicy({ at: at(11), by: 'carol' })).catch((e) => e);
          await carolStaged;
          throw outcomeUnknown('connection reset');
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    await expect(bob.applyPolicyConfigs(nextPolicy())).rejects.toThrow('connection reset');

    // Bob's clean-up went to the very keys Carol staged at, and left her versions alone.
    expect((await scanAll(tableName)).filter((item) => item.storedBy === 'carol').length).toBeGreaterThan(0);
    release();
    expect(await carolApply).not.toBeInstanceOf(Error);
    // Carol's apply then stores her whole policy, every version intact; nothing of Bob's stays.
    for (const family of FAMILIES) {
      expect(await plain.getFamilyConfig(family)).toMatchObject({ version: 2, storedBy: 'carol' });
    }
    expect((await scanAll(tableName)).filter((item) => item.storedBy === 'bob')).toEqual([]);
  });

  it('reports an apply stored when its last transaction, outcome unknown, commits while the failure is handled', async () => {
    let held: TransactWriteCommand | undefined;
    let replayed = false;
    const arrive = async () => {
      if (held === undefined || replayed) return;
      replayed = true;
      await doc.send(held);
    };
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n, command) => {
          if (n !== 3) return;
          held = command;
          throw outcomeUnknown('socket hang up');
        },
        put: arrive,
        delete: arrive,
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    const outcome = await catalog.applyPolicyConfigs(nextPolicy()).then(
      () => 'stored',
      (error: unknown) => error,
    );

    expect(replayed).toBe(true);
    const after = await readAll(plain);
    expect(outcome).toBe('stored');
    expect(after.current.map((c) => c?.version)).toEqual(FAMILIES.map(() => 2));
    expect(after.organization?.version).toBe(2);
  });

  it('deletes what a transaction whose reply was lost staged, so the apply can be run again at once', async () => {
    const seen = await readAll(plain);
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n, command) => {
          if (n !== 1) return;
          await doc.send(command);
          throw outcomeUnknown('connection reset');
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    await expect(catalog.applyPolicyConfigs(nextPolicy())).rejects.toThrow('connection reset');

    expect((await scanAll(tableName)).filter((item) => item.storedBy === 'bob')).toEqual([]);
    expect(await readAll(plain)).toEqual(seen);
    await plain.applyPolicyConfigs(nextPolicy({ at: at(11), by: 'carol' }));
    for (const family of FAMILIES) {
      expect(await plain.getFamilyConfig(family)).toMatchObject({ version: 2, storedBy: 'carol' });
    }
  });

  it('reports an apply stored when its last reply was lost and another apply moved the head before it looked', async () => {
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n, command) => {
          if (n !== 3) return;
          await doc.send(command);
          await plain.putFamilyConfig(
            'zz-other',
            { z: 1 },
            { expectedCurrent: null, at: at(11), by: 'carol' },
          );
          throw outcomeUnknown('socket hang up');
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });

    const applied = await catalog.applyPolicyConfigs(nextPolicy());

    expect(applied.families.map((c) => c.version)).toEqual(FAMILIES.map(() => 2));
    expect((await plain.listFamilyConfigs()).items.map((c) => [c.family, c.version, c.storedBy])).toEqual([
      ...FAMILIES.map((family) => [family, 2, 'bob']),
      ['zz-other', 1, 'carol'],
    ]);
  });

  it('serves the new version, not the view an older amictl wrote at the same version, when the view follows the head', async () => {
    for (const item of legacyItems('base-os', 2, { old: true })) {
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    }
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({ put: async () => Promise.reject(new Error('connection reset')) }),
      transactions: SMALL_TRANSACTIONS,
    });

    await catalog.applyPolicyConfigs(nextPolicy());

    expect(await plain.getFamilyConfig('base-os')).toMatchObject({
      version: 2,
      config: { family: 'base-os', v: 2 },
    });
    await plain.applyPolicyConfigs(
      nextPolicy({
        families: [{ family: 'base-os', expectedCurrent: 2, config: { v: 3 } }],
        organization: undefined,
      }),
    );
    expect(await plain.getFamilyConfig('base-os')).toMatchObject({ version: 3, config: { v: 3 } });
  });

  it('keeps the versions of an apply that died invisible; a later apply waits for them to go stale, then writes over them', async () => {
    const seen = await readAll(plain);
    const died = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        transact: async (n) => {
          if (n === 3) throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
        },
        // The process is gone: it neither moves the head on nor deletes what it staged.
        put: async () => {
          throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
        },
        delete: async () => {
          throw Object.assign(new Error('connection reset'), { name: 'TimeoutError' });
        },
      }),
      transactions: SMALL_TRANSACTIONS,
    });
    await expect(died.applyPolicyConfigs(nextPolicy())).rejects.toThrow('connection reset');
    const staged = (await scanAll(tableName)).filter((item) => item.storedBy === 'bob');

    expect(staged.length).toBeGreaterThan(0);
    expect(await readAll(plain)).toEqual(seen);
    await expect(plain.applyPolicyConfigs(nextPolicy({ at: at(11), by: 'carol' }))).rejects.toBeInstanceOf(
      ConcurrentConfigApplyError,
    );
    expect(await readAll(plain)).toEqual(seen);

    const later = new Date(Date.parse(at(10)) + STALE_APPLY_MS).toISOString();
    await plain.applyPolicyConfigs(nextPolicy({ at: later, by: 'carol' }));

    for (const family of FAMILIES) {
      expect(await plain.getFamilyConfig(family)).toMatchObject({ version: 2, storedBy: 'carol' });
    }
    expect((await scanAll(tableName)).filter((item) => item.storedBy === 'bob')).toEqual([]);
  });
});

describe('DynamoDbCatalog on DynamoDB Local: sizes and tables from before the policy head', () => {
  let tableName: string;
  beforeEach(async () => {
    tableName = await freshTable();
  });

  it('counts an item the way DynamoDB does: one of exactly 400 KB is stored, one byte more is refused', async () => {
    const item = (extra: number) => {
      const base = {
        PK: 'FAMILY#probe',
        SK: 'CONFIG#v0000000001',
        version: 1234567890,
        nested: { list: [1, 'two', true, null], map: { n: 3.25 } },
        configJson: '',
      };
      return { ...base, configJson: 'x'.repeat(MAX_ITEM_BYTES - dynamoItemBytes(base) + extra) };
    };
    expect(dynamoItemBytes(item(0))).toBe(MAX_ITEM_BYTES);

    await expect(doc.send(new PutCommand({ TableName: tableName, Item: item(0) }))).resolves.toBeDefined();
    await expect(doc.send(new PutCommand({ TableName: tableName, Item: item(1) }))).rejects.toThrow(
      /Item size has exceeded the maximum allowed size/,
    );
  });

  it('builds the first head from each config read consistently, not from a family list that lags', async () => {
    for (const item of [
      ...legacyItems('base-os', 1, { family: 'base-os', v: 1 }),
      ...legacyItems('golden-al2023', 1, { family: 'golden-al2023', v: 1 }),
    ]) {
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    }
    // The family list (GSI1) has not caught up with golden-al2023 yet.
    const catalog = new DynamoDbCatalog({
      tableName,
      client: intercepted({
        query: (command, out) =>
          command.input.IndexName === 'GSI1'
            ? { ...out, Items: (out.Items ?? []).filter((item) => item.family !== 'golden-al2023') }
            : out,
      }),
    });

    await catalog.applyPolicyConfigs({
      families: [
        { family: 'base-os', expectedCurrent: 1, config: { v: 2 } },
        { family: 'golden-al2023', expectedCurrent: 1, config: { v: 2 } },
      ],
      at: at(10),
      by: 'bob',
    });

    const plain = new DynamoDbCatalog({ tableName, client: doc });
    expect((await plain.listFamilyConfigs()).items.map((c) => [c.family, c.version])).toEqual([
      ['base-os', 2],
      ['golden-al2023', 2],
    ]);
  });

  it('writes over a version above the current one that an older amictl left, before the head existed', async () => {
    for (const item of [
      ...legacyItems('base-os', 1, { family: 'base-os', v: 1 }),
      ...legacyItems('base-os', 2, { left: 'over' }).slice(0, 1),
    ]) {
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    }
    const catalog = new DynamoDbCatalog({ tableName, client: doc });
    expect(await catalog.getFamilyConfig('base-os')).toMatchObject({ version: 1 });

    await catalog.applyPolicyConfigs({
      families: [{ family: 'base-os', expectedCurrent: 1, config: { v: 2 } }],
      at: at(10),
      by: 'bob',
    });

    expect(await catalog.getFamilyConfig('base-os')).toMatchObject({ version: 2, config: { v: 2 } });
    expect((await catalog.listFamilyConfigVersions('base-os')).items.map((c) => c.storedBy)).toEqual([
      'old-amictl',
      'bob',
    ]);
  });

  it('reads configs stored before the head, and the first apply continues their versions', async () => {
    const legacy = (family: string, version: number) => ({
      entity: 'family-config',
      family,
      version,
      configJson: JSON.stringify({ family, v: version }),
      storedAt: at(version),
      storedBy: 'alice',
    });
    const org = {
      entity: 'organization-config',
      version: 1,
      configJson: JSON.stringify(anOrgConfig()),
      storedAt: at(0),
      storedBy: 'alice',
    };
    for (const item of [
      { ...legacy('base-os', 1), ...configKey('base-os', 1) },
      { ...legacy('base-os', 2), ...configKey('base-os', 2) },
      { ...legacy('base-os', 2), ...currentConfigKeys('base-os') },
      { ...org, ...organizationConfigKey(1) },
      { ...org, ...currentOrganizationConfigKey() },
    ]) {
      await doc.send(new PutCommand({ TableName: tableName, Item: item }));
    }
    const catalog = new DynamoDbCatalog({ tableName, client: doc });

    expect((await catalog.getFamilyConfig('base-os'))?.version).toBe(2);
    expect((await catalog.listFamilyConfigs()).items.map((c) => c.family)).toEqual(['base-os']);
    expect((await catalog.getOrganizationConfig())?.version).toBe(1);

    await catalog.applyPolicyConfigs({
      organization: { expectedCurrent: 1 },
      families: [
        { family: 'base-os', expectedCurrent: 2, config: { family: 'base-os', v: 3 } },
        { family: 'golden-al2023', expectedCurrent: null, config: { v: 1 } },
      ],
      at: at(10),
      by: 'bob',
    });

    expect((await catalog.getFamilyConfig('base-os'))?.version).toBe(3);
    expect((await catalog.listFamilyConfigVersions('base-os')).items.map((c) => c.version)).toEqual([
      1, 2, 3,
    ]);
    expect((await catalog.listFamilyConfigs()).items.map((c) => [c.family, c.version])).toEqual([
      ['base-os', 3],
      ['golden-al2023', 1],
    ]);
    expect((await catalog.getOrganizationConfig())?.version).toBe(1);
    const head = await doc.send(new ScanCommand({ TableName: tableName }));
    expect(head.Items?.find((i) => i.PK === policyHeadKey().PK)).toMatchObject({
      revision: 1,
      families: { 'base-os': 3, 'golden-al2023': 1 },
      organization: 1,
    });
  });
});
