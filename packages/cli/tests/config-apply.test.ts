import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { createTable, DynamoDbCatalog, policyStorageIssues } from '@ami-lifecycle/catalog';
import { localClientConfig } from '@ami-lifecycle/catalog/local';
import { type CatalogPort, parsePolicy } from '@ami-lifecycle/core';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoDbEndpoint } from '../../../tests/support/dynamodb-local-env';
import type { AmictlDeps } from '../src';
import { createWorld, EXAMPLE, START, type World } from './support/world';

/** Parsing a policy of thousands of accounts or commands takes a second or two on a busy machine. */
const HEAVY_MS = 30_000;

/** The example's families, in the order of the file. */
const FAMILIES = ['golden-al2023', 'golden-ubuntu', 'payments-api', 'orders-worker'] as const;
const LAST = 'orders-worker';
const example = readFileSync(EXAMPLE, 'utf8');

/** The example with every family's description and the organisation's sweep changed. */
const revised = example
  .replace(/(\n {4}description: [^\n]*)\n/g, '$1 Revised.\n')
  .replace('maxRetirementsPerRun: 40', 'maxRetirementsPerRun: 5');

/** The example with golden-ubuntu's hardening component grown by `n` commands of ~200 characters. */
const withBigFamily = (n: number): string =>
  example.replace(
    '            - systemctl enable auditd\n',
    `            - systemctl enable auditd\n${`            - echo ${'x'.repeat(190)}\n`.repeat(n)}`,
  );

/** The example with `n` more accounts, each with its role and region. */
const withManyAccounts = (n: number): string =>
  example.replace(
    'accounts:\n',
    `accounts:\n${Array.from({ length: n }, (_, i) => {
      const id = String(300_000_000_000 + i);
      return `  team-${String(i).padStart(5, '0')}-workload-account:\n    id: "${id}"\n    roleArn: arn:aws:iam::${id}:role/ami-lifecycle-inventory\n    regions: [eu-west-1]\n`;
    }).join('')}`,
  );

/** Parses a policy as amictl does: what the catalog could not store is judged by the catalog. */
const parsed = (text: string) => parsePolicy(text, 'test.yaml', { storable: policyStorageIssues });

/** What readers see of the configs: each family's current config and versions, and the organisation's. */
const configState = async (catalog: CatalogPort) => ({
  organization: await catalog.getOrganizationConfig(),
  families: await Promise.all(
    FAMILIES.map(async (family) => ({
      current: await catalog.getFamilyConfig(family),
      versions: (await catalog.listFamilyConfigVersions(family)).items,
    })),
  ),
  listed: (await catalog.listFamilyConfigs()).items,
});

/**
 * amictl's catalog, with another apply landing right after amictl read `family`'s current config:
 * it stores the next version of that family, so what amictl read is stale. `landed` runs after it.
 */
const racing = (
  world: World,
  family: string,
  other: CatalogPort,
  landed: () => Promise<void>,
): AmictlDeps['catalog'] => {
  const catalog = world.deps.catalog;
  return new Proxy(catalog, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== 'getFamilyConfig') return value;
      return async (name: string, version?: number) => {
        const read = await target.getFamilyConfig(name, version);
        if (name === family && version === undefined) {
          await other.putFamilyConfig(
            family,
            { ...(read?.config as object), description: 'changed by another apply' },
            { expectedCurrent: read?.version ?? null, at: START, by: 'carol' },
          );
          await landed();
        }
        return read;
      };
    },
  });
};

describe('amictl config validate: what the catalog could not store', () => {
  it(
    'refuses a family whose stored item would pass 400 KB, naming the family and the limit',
    async () => {
      const world = await createWorld([]);
      world.deps.readFile = () => withBigFamily(2_100);

      expect(await world.run('config', 'validate', 'big.yaml')).toBe(1);

      const err = world.err.join('\n');
      expect(err).toContain('families.golden-ubuntu');
      expect(err).toMatch(
        /family golden-ubuntu's config would be stored as a DynamoDB item of \d+ bytes, over DynamoDB's item size limit of 400 KB \(409600 bytes/,
      );
      expect(world.writes).toEqual([]);
    },
    HEAVY_MS,
  );

  it(
    'passes a family under 400 KB once stored (though over 350 KB of JSON), which apply then stores',
    async () => {
      const world = await createWorld([]);
      const text = withBigFamily(1_850);
      world.deps.readFile = () => text;
      const family = parsed(text).families['golden-ubuntu'];
      expect(Buffer.byteLength(JSON.stringify(family))).toBeGreaterThan(350 * 1024);

      expect(await world.run('config', 'validate', 'big.yaml')).toBe(0);
      expect(await world.run('config', 'apply', 'big.yaml')).toBe(0);

      expect((await world.catalog.getFamilyConfig('golden-ubuntu'))?.config).toEqual(family);
    },
    HEAVY_MS,
  );

  it(
    'refuses an organisation config too large to store, naming it and the limit',
    async () => {
      const world = await createWorld([]);
      world.deps.readFile = () => withManyAccounts(3_000);

      expect(await world.run('config', 'validate', 'accounts.yaml')).toBe(1);
      expect(await world.run('config', 'apply', 'accounts.yaml')).toBe(1);

      expect(world.err.join('\n')).toMatch(
        /the organisation config \(organization, accounts, regions, sweep\) would be stored as a DynamoDB item of \d+ bytes, over DynamoDB's item size limit of 400 KB \(409600 bytes/,
      );
      expect(world.writes).toEqual([]);
    },
    HEAVY_MS,
  );
});

describe('amictl config apply: the whole policy or nothing', () => {
  it('refuses when another apply stored the last family after amictl read it, and stores nothing of the policy', async () => {
    const world = await createWorld([...FAMILIES]);
    world.deps.readFile = () => revised;
    const initial = await configState(world.catalog);
    let raced: Awaited<ReturnType<typeof configState>> | undefined;
    world.deps.catalog = racing(world, LAST, world.catalog, async () => {
      raced = await configState(world.catalog);
    });

    expect(await world.run('config', 'apply', 'revised.yaml')).toBe(1);

    expect(world.err).toEqual([
      `amictl: config of family ${LAST} changed: expected current version 1, found 2`,
    ]);
    expect(world.out).toEqual([]);
    const after = await configState(world.catalog);
    expect(after).toEqual(raced);
    // Only the other apply's version of the last family is new; nothing of the policy was stored.
    expect(after.organization).toEqual(initial.organization);
    expect(after.families.slice(0, -1)).toEqual(initial.families.slice(0, -1));
    expect(after.families.at(-1)?.current).toMatchObject({ version: 2, storedBy: 'carol' });
    expect(after.families.at(-1)?.versions.map((c) => c.storedBy)).toEqual(['test', 'carol']);
  });
});

describe('amictl config apply on DynamoDB Local', () => {
  let raw: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let tableName: string;
  /** Small transactions: the example policy (4 families and the organisation) takes several. */
  let catalog: DynamoDbCatalog;
  let world: World;

  beforeAll(() => {
    raw = new DynamoDBClient(localClientConfig(dynamoDbEndpoint()));
    doc = DynamoDBDocumentClient.from(raw);
  });
  afterAll(() => raw.destroy());
  beforeEach(async () => {
    tableName = `amictl-config-${randomUUID()}`;
    await createTable(raw, tableName, { timeoutMs: 5_000, pollMs: 10 });
    catalog = new DynamoDbCatalog({ tableName, client: doc, transactions: { maxItems: 3 } });
    world = await createWorld([]);
    world.deps.catalog = catalog;
  });

  const scanAll = async () => {
    const out = await doc.send(new ScanCommand({ TableName: tableName }));
    return (out.Items ?? []).sort((a, b) =>
      `${a.PK}|${a.SK}` < `${b.PK}|${b.SK}` ? -1 : `${a.PK}|${a.SK}` > `${b.PK}|${b.SK}` ? 1 : 0,
    );
  };

  it('stores a policy over several transactions, and every per-family read sees it', async () => {
    expect(await world.run('config', 'apply', EXAMPLE)).toBe(0);

    const policy = parsed(example);
    for (const family of FAMILIES) {
      expect(await catalog.getFamilyConfig(family)).toMatchObject({
        version: 1,
        config: JSON.parse(JSON.stringify(policy.families[family])),
      });
    }
    expect((await catalog.listFamilyConfigs()).items.map((c) => c.family)).toEqual([...FAMILIES].sort());
    expect((await catalog.getOrganizationConfig())?.version).toBe(1);
    world.out.length = 0;
    expect(await world.run('config', 'apply', EXAMPLE)).toBe(0);
    expect(world.out).toEqual([
      'organization config: unchanged (version 1)',
      ...FAMILIES.map((f) => `${f}: unchanged (version 1)`),
    ]);
  });

  it('leaves every item of the table as it was when another apply stored the last family after amictl read it', async () => {
    expect(await world.run('config', 'apply', EXAMPLE)).toBe(0);
    world.deps.readFile = () => revised;
    const initial = await scanAll();
    let raced: Record<string, unknown>[] = [];
    const other = new DynamoDbCatalog({ tableName, client: doc });
    world.deps.catalog = racing(world, LAST, other, async () => {
      raced = await scanAll();
    });
    world.out.length = 0;

    expect(await world.run('config', 'apply', 'revised.yaml')).toBe(1);

    expect(world.err).toEqual([
      `amictl: config of family ${LAST} changed: expected current version 1, found 2`,
    ]);
    const after = await scanAll();
    expect(after).toEqual(raced);
    // Every item is as it was before amictl ran, but for the other apply's: its version of the last
    // family, that family's current-config view, and the head.
    const keyOf = (item: Record<string, unknown>) => `${item.PK} ${item.SK}`;
    const unchanged = (item: Record<string, unknown>, among: Record<string, unknown>[]) =>
      among.some((other) => isDeepStrictEqual(other, item));
    expect(
      after.filter((item) => !unchanged(item, initial)).map((i) => [keyOf(i), i.storedBy ?? i.appliedBy]),
    ).toEqual([
      [`FAMILY#${LAST} CONFIG#current`, 'carol'],
      [`FAMILY#${LAST} CONFIG#v0000000002`, 'carol'],
      ['POLICY HEAD', 'carol'],
    ]);
    expect(initial.filter((item) => !unchanged(item, after)).map(keyOf)).toEqual([
      `FAMILY#${LAST} CONFIG#current`,
      'POLICY HEAD',
    ]);
  });

  it(
    'stores a family of more than 350 KB of JSON that DynamoDB can hold',
    async () => {
      const text = withBigFamily(1_850);
      world.deps.readFile = () => text;

      expect(await world.run('config', 'apply', 'big.yaml')).toBe(0);

      expect((await catalog.getFamilyConfig('golden-ubuntu'))?.config).toEqual(
        JSON.parse(JSON.stringify(parsed(text).families['golden-ubuntu'])),
      );
    },
    HEAVY_MS,
  );
});
