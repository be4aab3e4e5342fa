import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  LabelParameterVersionCommand,
  ListTagsForResourceCommand,
  type Parameter,
  type ParameterMetadata,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { Accounts } from '../src/accounts';
import type { AwsError } from '../src/errors';
import { PUBLIC_IMAGES, publicImageId } from '../src/services/ec2/public-images';
import {
  DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS,
  IMAGE_VALIDATION_FAILED,
  SsmService,
} from '../src/services/ssm';
import { SimClock } from '../src/sim-clock';
import { startTestEdge, TEST_ACCOUNTS, TEST_ORGANIZATION } from '../src/testing/edge-harness';
import type { CloudContext, CloudEvent, InstanceDirectory } from '../src/types';

const REGION = 'eu-west-1';
const ACCOUNT = '111111111111';
/** Images EC2 would know in the default account and region. */
const OWN_IMAGE = 'ami-0123456789abcdef0';
const OTHER_OWN_IMAGE = 'ami-0123456789abcdef1';
/** An image no account has. */
const MISSING_IMAGE = 'ami-0fffffffffffffff0';
/** What EC2 would answer, per image id: tests add and remove images while a validation is under way. */
const images = new Set([OWN_IMAGE, OTHER_OWN_IMAGE]);
const AL2023 = PUBLIC_IMAGES[0]!;

const noInstances: InstanceDirectory = { find: () => undefined, list: () => [] };

let edge: Awaited<ReturnType<typeof startTestEdge>>;
let ssm: SSMClient;
let service: SsmService;

beforeAll(async () => {
  edge = await startTestEdge((ctx) => {
    service = new SsmService(ctx, noInstances, {
      imageExists: (account, region, id) => account === ACCOUNT && region === REGION && images.has(id),
    });
    return [service];
  });
  ssm = new SSMClient({ ...edge.clientConfig, maxAttempts: 1 });
});

afterAll(async () => {
  ssm.destroy();
  await edge.close();
});

// Every test writes under its own path, so tests stay independent while sharing one edge.
let counter = 0;
const fresh = () => `/test-${++counter}`;

const put = (
  Name: string,
  Value: string,
  extra: Partial<ConstructorParameters<typeof PutParameterCommand>[0]> = {},
) => ssm.send(new PutParameterCommand({ Name, Value, Type: 'String', ...extra }));

const clientFor = (accountId: string, region = REGION) => {
  const creds = edge.accounts.issueRoleCredentials(
    `arn:aws:iam::${accountId}:role/reader`,
    'test',
    edge.clock.nowMillis(),
    3600,
  );
  return new SSMClient({
    endpoint: edge.endpoint,
    region,
    maxAttempts: 1,
    credentials: {
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
    },
  });
};

describe('SSM Parameter Store', () => {
  describe('PutParameter and GetParameter', () => {
    it('stores a parameter at version 1, stamped with the simulated clock', async () => {
      const name = `${fresh()}/db-host`;

      const out = await put(name, 'db.internal');
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: name }));

      expect(out).toMatchObject({ Version: 1, Tier: 'Standard' });
      expect(Parameter).toMatchObject({
        Name: name,
        Type: 'String',
        Value: 'db.internal',
        Version: 1,
        DataType: 'text',
        ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`,
      });
      expect(Parameter?.LastModifiedDate).toEqual(edge.clock.now());
    });

    it('refuses to replace an existing parameter without Overwrite', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'one');

      await expect(put(name, 'two')).rejects.toMatchObject({
        name: 'ParameterAlreadyExists',
        $metadata: { httpStatusCode: 400 },
      });
      expect((await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value).toBe('one');
    });

    it('adds a version on each overwrite and keeps what the update leaves out', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'one', { Description: 'the thing' });
      await edge.clock.advance(60);

      const out = await ssm.send(new PutParameterCommand({ Name: name, Value: 'two', Overwrite: true }));
      const history = await ssm.send(new GetParameterHistoryCommand({ Name: name }));

      expect(out.Version).toBe(2);
      expect(history.Parameters?.map((p) => [p.Version, p.Value, p.Type, p.Description])).toEqual([
        [1, 'one', 'String', 'the thing'],
        [2, 'two', 'String', 'the thing'],
      ]);
      const [first, second] = history.Parameters!;
      expect(second!.LastModifiedDate!.getTime() - first!.LastModifiedDate!.getTime()).toBe(60_000);
      expect(second!.LastModifiedUser).toBe(`arn:aws:iam::${ACCOUNT}:root`);
    });

    it('refuses Tags together with Overwrite, as AWS does', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'one', { Tags: [{ Key: 'team', Value: 'images' }] });

      await expect(
        put(name, 'two', { Overwrite: true, Tags: [{ Key: 'team', Value: 'other' }] }),
      ).rejects.toMatchObject({
        name: 'ValidationException',
        message: expect.stringContaining("can't be used together"),
      });
      const tags = await ssm.send(
        new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
      );
      expect(tags.TagList).toEqual([{ Key: 'team', Value: 'images' }]);
    });

    it('needs a Type to create a parameter', async () => {
      await expect(
        ssm.send(new PutParameterCommand({ Name: `${fresh()}/p`, Value: 'x' })),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    });

    it('reads an older version with name:version and reports the selector', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'one');
      await put(name, 'two', { Overwrite: true });

      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: `${name}:1` }));

      expect(Parameter).toMatchObject({ Name: name, Value: 'one', Version: 1, Selector: ':1' });
    });

    it('answers ParameterNotFound and ParameterVersionNotFound', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'one');

      await expect(ssm.send(new GetParameterCommand({ Name: `${fresh()}/missing` }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await expect(ssm.send(new GetParameterCommand({ Name: `${name}:7` }))).rejects.toMatchObject({
        name: 'ParameterVersionNotFound',
      });
    });

    it('hides SecureString values unless asked to decrypt', async () => {
      const name = `${fresh()}/secret`;
      await put(name, 'hunter2', { Type: 'SecureString' });

      const hidden = await ssm.send(new GetParameterCommand({ Name: name }));
      const shown = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      const described = await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }] }),
      );

      expect(hidden.Parameter?.Value).not.toContain('hunter2');
      expect(shown.Parameter?.Value).toBe('hunter2');
      expect(described.Parameters?.[0]?.KeyId).toBe('alias/aws/ssm');
    });

    it('enforces AllowedPattern', async () => {
      await expect(put(`${fresh()}/port`, 'eighty', { AllowedPattern: '^\\d+$' })).rejects.toMatchObject({
        name: 'ParameterPatternMismatchException',
      });
    });

    it('limits Standard values to 4096 characters and Advanced ones to 8192', async () => {
      const big = 'x'.repeat(5000);
      await expect(put(`${fresh()}/big`, big)).rejects.toMatchObject({ name: 'ValidationException' });
      await expect(put(`${fresh()}/big`, big, { Tier: 'Advanced' })).resolves.toMatchObject({
        Tier: 'Advanced',
      });
      await expect(put(`${fresh()}/big`, big, { Tier: 'Intelligent-Tiering' })).resolves.toMatchObject({
        Tier: 'Advanced',
      });
    });

    it('keeps 100 versions, dropping the oldest unless a label pins it', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'v1');
      for (let i = 2; i <= 101; i++) await put(name, `v${i}`, { Overwrite: true });

      const versions: number[] = [];
      let NextToken: string | undefined;
      do {
        const page = await ssm.send(new GetParameterHistoryCommand({ Name: name, NextToken }));
        versions.push(...page.Parameters!.map((p) => p.Version!));
        NextToken = page.NextToken;
      } while (NextToken);
      expect(versions).toHaveLength(100);
      expect(versions[0]).toBe(2);

      await ssm.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 2, Labels: ['pinned'] }),
      );
      await expect(put(name, 'v102', { Overwrite: true })).rejects.toMatchObject({
        name: 'ParameterMaxVersionLimitExceeded',
      });
    });
  });

  describe('parameter names', () => {
    it.each([
      ['a path without a leading slash', 'team/value', 'ValidationException'],
      ['a space inside', '/team/my value', 'ValidationException'],
      ['a character outside a-zA-Z0-9_.-/', '/team/val$ue', 'ValidationException'],
      ['the ssm prefix', '/ssm/value', 'ValidationException'],
      ['the aws prefix without a path', 'aws-value', 'ValidationException'],
      ['the reserved /aws/ namespace', '/aws/service/mine', 'AccessDeniedException'],
      [
        'sixteen levels',
        `/${Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')}`,
        'HierarchyLevelLimitExceededException',
      ],
    ])('refuses %s', async (_case, name, code) => {
      await expect(put(name, 'x')).rejects.toMatchObject({ name: code });
    });

    it('accepts fifteen levels and a simple name', async () => {
      const deep = `${fresh()}/${Array.from({ length: 14 }, (_, i) => `l${i}`).join('/')}`;
      await expect(put(deep, 'x')).resolves.toMatchObject({ Version: 1 });
      await expect(put(`simple-${++counter}`, 'x')).resolves.toMatchObject({ Version: 1 });
    });
  });

  describe('GetParameters', () => {
    it('returns what it finds and lists the rest as invalid', async () => {
      const base = fresh();
      await put(`${base}/a`, '1');
      await put(`${base}/b`, '2');

      const out = await ssm.send(
        new GetParametersCommand({ Names: [`${base}/a`, `${base}/b:1`, `${base}/missing`, `${base}/a:9`] }),
      );

      expect(out.Parameters?.map((p) => [p.Name, p.Value, p.Selector])).toEqual([
        [`${base}/a`, '1', undefined],
        [`${base}/b`, '2', ':1'],
      ]);
      expect(out.InvalidParameters).toEqual([`${base}/missing`, `${base}/a:9`]);
    });

    it('takes at most 10 names', async () => {
      const Names = Array.from({ length: 11 }, (_, i) => `/n${i}`);
      await expect(ssm.send(new GetParametersCommand({ Names }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
    });
  });

  describe('GetParametersByPath', () => {
    const tree = async () => {
      const base = fresh();
      await put(`${base}/app/a`, '1');
      await put(`${base}/app/b`, '2', { Type: 'SecureString' });
      await put(`${base}/app/nested/c`, '3');
      await put(`${base}/app/nested/deeper/d`, '4');
      await put(`${base}/other/e`, '5');
      return base;
    };

    const all = async (input: ConstructorParameters<typeof GetParametersByPathCommand>[0]) => {
      const found: Parameter[] = [];
      let pages = 0;
      let NextToken: string | undefined;
      do {
        const page = await ssm.send(new GetParametersByPathCommand({ ...input, NextToken }));
        found.push(...(page.Parameters ?? []));
        NextToken = page.NextToken;
        pages++;
      } while (NextToken);
      return { names: found.map((p) => p.Name), found, pages };
    };

    it('returns only the direct children without Recursive', async () => {
      const base = await tree();
      expect((await all({ Path: `${base}/app` })).names).toEqual([`${base}/app/a`, `${base}/app/b`]);
    });

    it('returns the whole subtree with Recursive, the trailing slash optional', async () => {
      const base = await tree();
      expect((await all({ Path: `${base}/app/`, Recursive: true })).names).toEqual([
        `${base}/app/a`,
        `${base}/app/b`,
        `${base}/app/nested/c`,
        `${base}/app/nested/deeper/d`,
      ]);
    });

    it('pages with MaxResults and NextToken without repeating or skipping', async () => {
      const base = await tree();
      const { names, pages } = await all({ Path: base, Recursive: true, MaxResults: 2 });
      expect(names).toHaveLength(5);
      expect(new Set(names).size).toBe(5);
      expect(pages).toBe(3);
    });

    it('filters after paging, so a page may come back short with a NextToken, as in AWS', async () => {
      const base = await tree();
      const first = await ssm.send(
        new GetParametersByPathCommand({
          Path: base,
          Recursive: true,
          MaxResults: 2,
          ParameterFilters: [{ Key: 'Type', Values: ['String'] }],
        }),
      );
      expect(first.Parameters?.map((p) => p.Name)).toEqual([`${base}/app/a`]);
      expect(first.NextToken).toBeDefined();

      const { names } = await all({
        Path: base,
        Recursive: true,
        MaxResults: 2,
        ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }],
      });
      expect(names).toEqual([`${base}/app/b`]);
    });

    it('decrypts SecureStrings on request', async () => {
      const base = await tree();
      const { found } = await all({ Path: `${base}/app`, WithDecryption: true });
      expect(found.map((p) => p.Value)).toEqual(['1', '2']);
    });

    it('returns the labelled version with a Label filter', async () => {
      const base = await tree();
      await put(`${base}/app/a`, '1b', { Overwrite: true });
      await ssm.send(
        new LabelParameterVersionCommand({ Name: `${base}/app/a`, ParameterVersion: 1, Labels: ['golden'] }),
      );

      const { found } = await all({
        Path: `${base}/app`,
        ParameterFilters: [{ Key: 'Label', Values: ['golden'] }],
      });

      expect(found.map((p) => [p.Name, p.Value, p.Version, p.Selector])).toEqual([
        [`${base}/app/a`, '1', 1, ':golden'],
      ]);
    });

    it.each([
      ['MaxResults above 10', { MaxResults: 11 }, 'ValidationException'],
      ['a Name filter', { ParameterFilters: [{ Key: 'Name', Values: ['x'] }] }, 'InvalidFilterKey'],
      [
        'an unknown filter option',
        { ParameterFilters: [{ Key: 'Type', Option: 'Contains', Values: ['S'] }] },
        'InvalidFilterOption',
      ],
      ['a token it did not issue', { NextToken: 'bm90LWEtdG9rZW4' }, 'InvalidNextToken'],
      ['a path without a leading slash', { Path: 'relative/path' }, 'ValidationException'],
    ])('refuses %s', async (_case, input, code) => {
      await expect(
        ssm.send(new GetParametersByPathCommand({ Path: '/anything', ...input })),
      ).rejects.toMatchObject({ name: code });
    });
  });

  describe('GetParameterHistory', () => {
    it('pages through versions oldest first, with labels', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'v1');
      for (let i = 2; i <= 5; i++) await put(name, `v${i}`, { Overwrite: true });
      await ssm.send(
        new LabelParameterVersionCommand({ Name: name, ParameterVersion: 3, Labels: ['stable'] }),
      );

      const first = await ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 2 }));
      const second = await ssm.send(
        new GetParameterHistoryCommand({ Name: name, MaxResults: 2, NextToken: first.NextToken }),
      );
      const third = await ssm.send(
        new GetParameterHistoryCommand({ Name: name, MaxResults: 2, NextToken: second.NextToken }),
      );

      expect(first.Parameters?.map((p) => p.Value)).toEqual(['v1', 'v2']);
      expect(second.Parameters?.map((p) => [p.Value, p.Labels])).toEqual([
        ['v3', ['stable']],
        ['v4', []],
      ]);
      expect(third.Parameters?.map((p) => p.Value)).toEqual(['v5']);
      expect(third.NextToken).toBeUndefined();
    });

    it('answers ParameterNotFound for a missing parameter', async () => {
      await expect(
        ssm.send(new GetParameterHistoryCommand({ Name: `${fresh()}/none` })),
      ).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
    });
  });

  describe('LabelParameterVersion', () => {
    it('moves a label to the version it names and reports invalid labels', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'v1');
      await put(name, 'v2', { Overwrite: true });
      await ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ['prod'] }));

      const out = await ssm.send(
        new LabelParameterVersionCommand({ Name: name, Labels: ['prod', 'aws-x', '9lives'] }),
      );
      const { Parameter } = await ssm.send(new GetParameterCommand({ Name: `${name}:prod` }));

      expect(out).toMatchObject({ ParameterVersion: 2, InvalidLabels: ['aws-x', '9lives'] });
      expect(Parameter).toMatchObject({ Value: 'v2', Selector: ':prod' });
    });
  });

  describe('DeleteParameter and DeleteParameters', () => {
    it('deletes a parameter with all its versions', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'v1');
      await put(name, 'v2', { Overwrite: true });

      await ssm.send(new DeleteParameterCommand({ Name: name }));

      await expect(ssm.send(new GetParameterHistoryCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await expect(ssm.send(new DeleteParameterCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await expect(put(name, 'again')).resolves.toMatchObject({ Version: 1 });
    });

    it('deletes several and lists the ones it could not', async () => {
      const base = fresh();
      await put(`${base}/a`, '1');
      await put(`${base}/b`, '2');

      const out = await ssm.send(
        new DeleteParametersCommand({ Names: [`${base}/a`, `${base}/b`, `${base}/c`] }),
      );

      expect(out).toMatchObject({
        DeletedParameters: [`${base}/a`, `${base}/b`],
        InvalidParameters: [`${base}/c`],
      });
    });
  });

  describe('DescribeParameters', () => {
    it('filters by name, path and type and pages through the result', async () => {
      const base = fresh();
      for (const n of ['a', 'b', 'c', 'd', 'e'])
        await put(`${base}/${n}`, n, n === 'e' ? { Type: 'StringList' } : {});
      await put(`${base}/sub/f`, 'f');

      const names: string[] = [];
      let NextToken: string | undefined;
      do {
        const page = await ssm.send(
          new DescribeParametersCommand({
            ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: [base] }],
            MaxResults: 4,
            NextToken,
          }),
        );
        names.push(...page.Parameters!.map((p) => p.Name!));
        NextToken = page.NextToken;
      } while (NextToken);
      const stringLists = await ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [
            { Key: 'Name', Option: 'BeginsWith', Values: [base] },
            { Key: 'Type', Values: ['StringList'] },
          ],
        }),
      );
      const oneLevel = await ssm.send(
        new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Path', Values: [`${base}/sub`] }] }),
      );

      expect(names).toEqual(['a', 'b', 'c', 'd', 'e', 'sub/f'].map((n) => `${base}/${n}`));
      expect(stringLists.Parameters?.map((p) => p.Name)).toEqual([`${base}/e`]);
      expect(oneLevel.Parameters?.map((p) => [p.Name, p.Version, p.Tier, p.DataType])).toEqual([
        [`${base}/sub/f`, 1, 'Standard', 'text'],
      ]);
    });

    it('filters by tag', async () => {
      const base = fresh();
      await put(`${base}/tagged`, '1', { Tags: [{ Key: 'owner', Value: 'images' }] });
      await put(`${base}/untagged`, '2');
      await ssm.send(
        new AddTagsToResourceCommand({
          ResourceType: 'Parameter',
          ResourceId: `${base}/untagged`,
          Tags: [{ Key: 'x', Value: 'y' }],
        }),
      );

      const out = await ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [
            { Key: 'Path', Values: [base] },
            { Key: 'tag:owner', Values: ['images'] },
          ],
        }),
      );

      expect(out.Parameters?.map((p) => p.Name)).toEqual([`${base}/tagged`]);
    });

    it('refuses MaxResults above 50', async () => {
      await expect(ssm.send(new DescribeParametersCommand({ MaxResults: 51 }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
    });
  });

  describe('aws:ec2:image parameters (validated in the background, as in AWS)', () => {
    const image = (extra: Partial<ConstructorParameters<typeof PutParameterCommand>[0]> = {}) => ({
      DataType: 'aws:ec2:image',
      ...extra,
    });
    const get = (Name: string) => ssm.send(new GetParameterCommand({ Name }));
    /** How a read of `name` ends right now: its value and version, or the error's name. */
    const seen = (name: string) =>
      get(name).then(
        (out) => `${out.Parameter?.Value}@${out.Parameter?.Version}`,
        (e: { name: string }) => e.name,
      );
    /** DescribeParameters for one name, paged to the end: it filters after cutting each page. */
    const describeNamed = async (name: string) => {
      const found: ParameterMetadata[] = [];
      let NextToken: string | undefined;
      do {
        const out = await ssm.send(
          new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Values: [name] }], NextToken }),
        );
        found.push(...(out.Parameters ?? []));
        NextToken = out.NextToken;
      } while (NextToken);
      return found;
    };
    const eventsFor = (name: string, since: number): CloudEvent[] =>
      edge.emitted.slice(since).filter((e) => e.detail.name === name);
    /** Moves the clock to just before the validation of a put made now ends. */
    const almost = () => edge.clock.advance(DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS - 0.001);
    const rest = () => edge.clock.advance(0.001);
    const validate = () => edge.clock.advance(DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS);

    afterEach(() => {
      images.clear();
      images.add(OWN_IMAGE).add(OTHER_OWN_IMAGE);
    });

    it('answers a create with version 1 and shows the parameter only once the image is validated', async () => {
      const name = `${fresh()}/golden`;

      const out = await put(name, OWN_IMAGE, image({ Tags: [{ Key: 'team', Value: 'platform' }] }));
      await almost();

      expect(out.Version).toBe(1);
      await expect(get(name)).rejects.toMatchObject({ name: 'ParameterNotFound' });
      await expect(ssm.send(new GetParameterCommand({ Name: `${name}:1` }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      expect(await ssm.send(new GetParametersCommand({ Names: [name] }))).toMatchObject({
        Parameters: [],
        InvalidParameters: [name],
      });
      const path = name.slice(0, name.lastIndexOf('/'));
      expect((await ssm.send(new GetParametersByPathCommand({ Path: path }))).Parameters).toEqual([]);
      expect(await describeNamed(name)).toEqual([]);
      await expect(ssm.send(new GetParameterHistoryCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await expect(
        ssm.send(new LabelParameterVersionCommand({ Name: name, Labels: ['prod'] })),
      ).rejects.toMatchObject({ name: 'ParameterNotFound' });
      await expect(
        ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name })),
      ).rejects.toMatchObject({ name: 'InvalidResourceId' });

      await rest();

      expect((await get(name)).Parameter).toMatchObject({
        Value: OWN_IMAGE,
        Version: 1,
        DataType: 'aws:ec2:image',
      });
      expect((await ssm.send(new GetParametersByPathCommand({ Path: path }))).Parameters).toHaveLength(1);
      const tags = await ssm.send(
        new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }),
      );
      expect(tags.TagList).toEqual([{ Key: 'team', Value: 'platform' }]);
    });

    it('keeps showing the previous version while an update is validated', async () => {
      const name = `${fresh()}/golden`;
      await put(name, OWN_IMAGE, image());
      await validate();

      const out = await put(name, OTHER_OWN_IMAGE, image({ Overwrite: true }));
      await almost();

      expect(out.Version).toBe(2);
      expect(await seen(name)).toBe(`${OWN_IMAGE}@1`);
      await expect(ssm.send(new GetParameterCommand({ Name: `${name}:2` }))).rejects.toMatchObject({
        name: 'ParameterVersionNotFound',
      });
      const history = await ssm.send(new GetParameterHistoryCommand({ Name: name }));
      expect(history.Parameters?.map((p) => p.Version)).toEqual([1]);
      expect((await describeNamed(name)).map((p) => p.Version)).toEqual([1]);
      await expect(
        ssm.send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 2, Labels: ['next'] })),
      ).rejects.toMatchObject({ name: 'ParameterVersionNotFound' });
      // Without a version, a label goes on the latest version that can be seen.
      const labelled = await ssm.send(new LabelParameterVersionCommand({ Name: name, Labels: ['prod'] }));
      expect(labelled.ParameterVersion).toBe(1);

      await rest();

      expect(await seen(name)).toBe(`${OTHER_OWN_IMAGE}@2`);
      expect(await seen(`${name}:prod`)).toBe(`${OWN_IMAGE}@1`);
    });

    it('accepts a create of an image that does not exist, and never creates the parameter', async () => {
      const name = `${fresh()}/golden`;

      const out = await put(name, MISSING_IMAGE, image());
      const before = await seen(name);
      await validate();
      const after = await seen(name);
      await edge.clock.advance(600);

      expect(out.Version).toBe(1);
      expect([before, after, await seen(name)]).toEqual([
        'ParameterNotFound',
        'ParameterNotFound',
        'ParameterNotFound',
      ]);
      // The name is free again: a create without Overwrite goes through, numbered 1.
      await expect(put(name, OWN_IMAGE, image())).resolves.toMatchObject({ Version: 1 });
    });

    it('keeps the previous value and version when an update fails validation', async () => {
      const name = `${fresh()}/golden`;
      await put(name, OWN_IMAGE, image());
      await validate();

      const out = await put(name, MISSING_IMAGE, image({ Overwrite: true }));
      await validate();

      expect(out.Version).toBe(2);
      expect(await seen(name)).toBe(`${OWN_IMAGE}@1`);
      const history = await ssm.send(new GetParameterHistoryCommand({ Name: name }));
      expect(history.Parameters?.map((p) => [p.Version, p.Value])).toEqual([[1, OWN_IMAGE]]);
      // The failed write left no trace: the next one gets its number again.
      await expect(put(name, OTHER_OWN_IMAGE, image({ Overwrite: true }))).resolves.toMatchObject({
        Version: 2,
      });
    });

    it('looks the image up when the validation ends, not when the value is put', async () => {
      const late = 'ami-0aaaaaaaaaaaaaaa1';
      const gone = 'ami-0aaaaaaaaaaaaaaa2';
      images.add(gone);
      const becomesAvailable = `${fresh()}/late`;
      const disappears = `${fresh()}/gone`;

      await put(becomesAvailable, late, image());
      await put(disappears, gone, image());
      await almost();
      images.add(late);
      images.delete(gone);
      await rest();

      expect(await seen(becomesAvailable)).toBe(`${late}@1`);
      expect(await seen(disappears)).toBe('ParameterNotFound');
    });

    it('checks the image against the account that puts the parameter', async () => {
      const other = clientFor('222222222222');
      const name = `${fresh()}/g`;

      const out = await other.send(
        new PutParameterCommand({ Name: name, Value: OWN_IMAGE, Type: 'String', DataType: 'aws:ec2:image' }),
      );
      await validate();

      expect(out.Version).toBe(1);
      await expect(other.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      other.destroy();
    });

    it('refuses any other write to the parameter while its validation is under way', async () => {
      const name = `${fresh()}/golden`;
      await put(name, OWN_IMAGE, image());

      // The only version is still pending: the parameter can't be read, yet can't be created either.
      await expect(put(name, OTHER_OWN_IMAGE, image())).rejects.toMatchObject({
        name: 'TooManyUpdates',
        message: expect.stringContaining('still in progress'),
      });
      await expect(put(name, OTHER_OWN_IMAGE, image({ Overwrite: true }))).rejects.toMatchObject({
        name: 'TooManyUpdates',
      });
      await expect(put(name, 'plain text', { Overwrite: true })).rejects.toMatchObject({
        name: 'TooManyUpdates',
      });
      await validate();

      expect(await seen(name)).toBe(`${OWN_IMAGE}@1`);
      await expect(put(name, OTHER_OWN_IMAGE, image())).rejects.toMatchObject({
        name: 'ParameterAlreadyExists',
      });
      await expect(put(name, OTHER_OWN_IMAGE, image({ Overwrite: true }))).resolves.toMatchObject({
        Version: 2,
      });
    });

    it('drops an update being validated when the parameter is deleted, but not a pending create', async () => {
      const updated = `${fresh()}/golden`;
      const created = `${fresh()}/golden`;
      await put(updated, OWN_IMAGE, image());
      await validate();

      await put(updated, OTHER_OWN_IMAGE, image({ Overwrite: true }));
      await ssm.send(new DeleteParameterCommand({ Name: updated }));
      await put(created, OWN_IMAGE, image());
      await expect(ssm.send(new DeleteParameterCommand({ Name: created }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await validate();

      expect(await seen(updated)).toBe('ParameterNotFound');
      expect(await seen(created)).toBe(`${OWN_IMAGE}@1`);
    });

    it('announces the change only once the version is visible, and a failure as AWS documents it', async () => {
      const good = `${fresh()}/golden`;
      const bad = `${fresh()}/golden`;
      const since = edge.emitted.length;

      await put(good, OWN_IMAGE, image({ Description: 'the golden image' }));
      await put(bad, MISSING_IMAGE, image());
      await almost();
      const early = edge.emitted.length - since;
      await rest();

      expect(early).toBe(0);
      expect(eventsFor(good, since)).toEqual([
        expect.objectContaining({
          source: 'aws.ssm',
          detailType: 'Parameter Store Change',
          time: edge.clock.now().toISOString(),
          detail: { operation: 'Create', name: good, type: 'String', description: 'the golden image' },
        }),
      ]);
      expect(eventsFor(bad, since)).toEqual([
        expect.objectContaining({
          source: 'aws.ssm',
          detailType: 'Parameter Store Change',
          resources: [`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${bad}`],
          detail: {
            exception: IMAGE_VALIDATION_FAILED,
            dataType: 'aws:ec2:image',
            name: bad,
            type: 'String',
            operation: 'Create',
          },
        }),
      ]);
      expect(IMAGE_VALIDATION_FAILED).toBe('Unable to Describe Resource');

      await put(good, MISSING_IMAGE, image({ Overwrite: true }));
      await validate();
      expect(eventsFor(good, since).map((e) => [e.detail.operation, e.detail.exception])).toEqual([
        ['Create', undefined],
        ['Update', IMAGE_VALIDATION_FAILED],
      ]);
    });

    it.each([
      ['a value that is not an AMI id', { Value: 'ubuntu-latest' }],
      ['a type other than String', { Type: 'StringList' as const }],
      ['an unknown data type', { DataType: 'aws:ec2:Image' }],
    ])('refuses %s at once', async (_case, input) => {
      const name = `${fresh()}/g`;
      await expect(put(name, OWN_IMAGE, { DataType: 'aws:ec2:image', ...input })).rejects.toMatchObject({
        name: 'ValidationException',
      });
      // Refused outright: nothing is pending, so the name can be written right away.
      await expect(put(name, OWN_IMAGE, image())).resolves.toMatchObject({ Version: 1 });
    });

    it('takes as long as imageParameterValidationSeconds says', async () => {
      const ctx: CloudContext = {
        clock: new SimClock('2026-03-01T00:00:00.000Z'),
        accounts: new Accounts(TEST_ACCOUNTS, TEST_ORGANIZATION),
        faults: { asyncFailure: () => false },
        events: { emit: () => undefined },
      };
      const slow = new SsmService(ctx, noInstances, { imageParameterValidationSeconds: 30 });
      const caller = { accountId: ACCOUNT, region: REGION, arn: `arn:aws:iam::${ACCOUNT}:root` };
      const read = () => {
        try {
          return slow.parameters.getParameter(caller, { Name: '/slow' }).Parameter.Value;
        } catch (e) {
          return (e as AwsError).code;
        }
      };

      slow.parameters.putParameter(caller, {
        Name: '/slow',
        Value: OWN_IMAGE,
        Type: 'String',
        DataType: 'aws:ec2:image',
      });
      await ctx.clock.advance(29.999);
      const before = read();
      await ctx.clock.advance(0.001);

      expect([before, read()]).toEqual(['ParameterNotFound', OWN_IMAGE]);
      expect(DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS).toBe(2);
      expect(() => new SsmService(ctx, noInstances, { imageParameterValidationSeconds: -1 })).toThrow(
        RangeError,
      );
    });
  });

  describe('public parameters', () => {
    const param = AL2023.ssmParameter!;

    it('point to the public image of the caller’s region', async () => {
      const us = clientFor(ACCOUNT, 'us-east-1');

      const eu = await ssm.send(new GetParameterCommand({ Name: param }));
      const usEast = await us.send(new GetParameterCommand({ Name: param }));

      expect(eu.Parameter).toMatchObject({
        Value: publicImageId(REGION, AL2023.name),
        Type: 'String',
        ARN: `arn:aws:ssm:${REGION}::parameter${param}`,
      });
      expect(usEast.Parameter?.Value).toBe(publicImageId('us-east-1', AL2023.name));
      us.destroy();
    });

    it('exist for every public image with a parameter, and are listed by path', async () => {
      const { Parameters } = await ssm.send(
        new GetParametersByPathCommand({ Path: '/aws/service', Recursive: true, MaxResults: 10 }),
      );
      const expected = PUBLIC_IMAGES.filter((i) => i.ssmParameter).map((i) => [
        i.ssmParameter,
        publicImageId(REGION, i.name),
      ]);
      expect(Parameters?.map((p) => [p.Name, p.Value]).sort()).toEqual(expected.sort());
    });

    it('are readable by every account', async () => {
      const outsider = clientFor('333333333333');
      const { Parameters } = await outsider.send(new GetParametersCommand({ Names: [param] }));
      expect(Parameters?.[0]?.Value).toBe(publicImageId(REGION, AL2023.name));
      outsider.destroy();
    });

    it('can be neither written, labelled nor deleted', async () => {
      await expect(put(param, 'ami-0123456789abcdef0', { Overwrite: true })).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
      await expect(ssm.send(new DeleteParameterCommand({ Name: param }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
      await expect(
        ssm.send(new LabelParameterVersionCommand({ Name: param, Labels: ['mine'] })),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
    });

    it('are not among the account’s own parameters in DescribeParameters', async () => {
      const out = await ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/aws/'] }],
        }),
      );
      expect(out.Parameters).toEqual([]);
    });

    it('take a new version when AWS releases a new image', async () => {
      const region = 'ap-southeast-2';
      const next = publicImageId(region, 'al2023-ami-2023.7.20250101.0-kernel-6.1-x86_64');
      const au = clientFor(ACCOUNT, region);

      const version = service.parameters.publishPublicParameter(region, param, next);
      const { Parameter } = await au.send(new GetParameterCommand({ Name: param }));
      const previous = await au.send(new GetParameterCommand({ Name: `${param}:1` }));

      expect(version).toBe(2);
      expect(Parameter).toMatchObject({ Value: next, Version: 2 });
      expect(previous.Parameter?.Value).toBe(publicImageId(region, AL2023.name));
      au.destroy();
    });
  });

  describe('isolation', () => {
    it('keeps parameters per account and per region', async () => {
      const name = `${fresh()}/p`;
      await put(name, 'mine');
      const other = clientFor('222222222222');
      const us = clientFor(ACCOUNT, 'us-east-1');

      await expect(other.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await expect(us.send(new GetParameterCommand({ Name: name }))).rejects.toMatchObject({
        name: 'ParameterNotFound',
      });
      await expect(
        other.send(new PutParameterCommand({ Name: name, Value: 'theirs', Type: 'String' })),
      ).resolves.toMatchObject({ Version: 1 });
      other.destroy();
      us.destroy();
    });
  });

  describe('events and wire protocol', () => {
    it('emits Parameter Store Change events', async () => {
      const name = `${fresh()}/p`;
      const before = edge.emitted.length;

      await put(name, 'v1');
      await put(name, 'v2', { Overwrite: true });
      await ssm.send(new DeleteParameterCommand({ Name: name }));

      expect(
        edge.emitted.slice(before).map((e) => [e.source, e.detailType, e.detail.operation, e.detail.name]),
      ).toEqual([
        ['aws.ssm', 'Parameter Store Change', 'Create', name],
        ['aws.ssm', 'Parameter Store Change', 'Update', name],
        ['aws.ssm', 'Parameter Store Change', 'Delete', name],
      ]);
    });

    it('answers an unknown operation with UnknownOperationException in JSON 1.1', async () => {
      const res = await fetch(edge.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': 'AmazonSSM.FlyToTheMoon',
          authorization: `AWS4-HMAC-SHA256 Credential=test/20260301/${REGION}/ssm/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: '{}',
      });

      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
      expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
    });
  });
});
