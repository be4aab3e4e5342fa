import {
  CreateImageCommand,
  CreateTagsCommand,
  DescribeImagesCommand,
  type DescribeImagesCommandInput,
  type EC2Client,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { AMAZON_OWNER_ID, CANONICAL_OWNER_ID } from '../../src/services/ec2/public-images';
import {
  al2023,
  buildImage,
  type Ec2Harness,
  errorCode,
  launch,
  OUTSIDER,
  REGION,
  startEc2,
  TOOLING,
  ubuntu,
  WORKLOADS,
} from './support';

const ids = async (client: EC2Client, input: DescribeImagesCommandInput) =>
  ((await client.send(new DescribeImagesCommand(input))).Images ?? []).map((i) => i.ImageId!);

describe('EC2 DescribeImages', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  it('seeds the public Amazon and Canonical images in every region', async () => {
    for (const region of [REGION, 'us-east-1', 'ap-southeast-2']) {
      const client = h.clientFor(TOOLING, region);
      const out = await client.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
      expect(out.Images!.map((i) => i.ImageId)).toEqual([al2023(region), expect.stringMatching(/^ami-/)]);
      expect(out.Images![0]).toMatchObject({
        State: 'available',
        Public: true,
        OwnerId: AMAZON_OWNER_ID,
        ImageOwnerAlias: 'amazon',
        Architecture: 'x86_64',
        ImdsSupport: 'v2.0',
      });
      expect(await ids(client, { Owners: [CANONICAL_OWNER_ID] })).toEqual([ubuntu(region)]);
    }
    expect(al2023('us-east-1')).not.toBe(al2023(REGION));
  });

  it('shows own, public and shared images by default and narrows by Owners', async () => {
    const mine = await buildImage(h, 'mine');
    const theirs = await buildImage(h, 'theirs', h.clientFor(WORKLOADS));
    const all = await ids(h.client, {});
    expect(all).toContain(mine);
    expect(all).toContain(al2023());
    expect(all).not.toContain(theirs);
    expect(await ids(h.client, { Owners: ['self'] })).toEqual([mine]);
    expect(await ids(h.client, { Owners: [TOOLING] })).toEqual([mine]);
    expect(await ids(h.client, { Owners: ['aws-marketplace'] })).toEqual([]);
    expect(await ids(h.client, { Owners: ['self', 'amazon'] })).toEqual(
      expect.arrayContaining([mine, al2023()]),
    );
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ Owners: ['nobody'] })))).toBe(
      'InvalidUserID.Malformed',
    );
  });

  it('answers ImageIds exactly, with NotFound for unknown or invisible ids and Malformed for bad ones', async () => {
    const mine = await buildImage(h, 'by-id');
    expect(await ids(h.client, { ImageIds: [mine, al2023()] })).toEqual([al2023(), mine]);
    expect(
      await errorCode(h.client.send(new DescribeImagesCommand({ ImageIds: ['ami-0123456789abcdef0'] }))),
    ).toBe('InvalidAMIID.NotFound');
    expect(
      await errorCode(h.clientFor(WORKLOADS).send(new DescribeImagesCommand({ ImageIds: [mine] }))),
    ).toBe('InvalidAMIID.NotFound');
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ ImageIds: ['ami-xyz'] })))).toBe(
      'InvalidAMIID.Malformed',
    );
    expect(
      await errorCode(h.client.send(new DescribeImagesCommand({ ImageIds: [mine], MaxResults: 5 }))),
    ).toBe('InvalidParameterCombination');
  });

  it('scopes ExecutableUsers to public (all), shared with me (self) or shared with an account id', async () => {
    const byUser = await buildImage(h, 'shared-by-user');
    const byOrg = await buildImage(h, 'shared-by-org');
    const unshared = await buildImage(h, 'unshared');
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: byUser,
        LaunchPermission: { Add: [{ UserId: WORKLOADS }] },
      }),
    );
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: byOrg,
        LaunchPermission: {
          Add: [{ OrganizationArn: `arn:aws:organizations::${TOOLING}:organization/o-testorg123` }],
        },
      }),
    );
    const workloads = h.clientFor(WORKLOADS);
    expect(await ids(workloads, { ExecutableUsers: ['self'] })).toEqual([byUser, byOrg]);
    expect(await ids(workloads, { ExecutableUsers: [WORKLOADS] })).toEqual([byUser, byOrg]);
    // As seen by the owner: only what is shared with that account id itself, not through the organisation.
    expect(await ids(h.client, { ExecutableUsers: [WORKLOADS] })).toEqual([byUser]);
    expect(await ids(h.client, { ExecutableUsers: ['all'] })).toEqual(
      expect.arrayContaining([al2023(), ubuntu()]),
    );
    expect(await ids(h.client, { ExecutableUsers: ['all'] })).not.toContain(unshared);
    expect(await ids(workloads, { ExecutableUsers: ['self'], Owners: [TOOLING] })).toEqual([byUser, byOrg]);
    expect(await ids(workloads, { ExecutableUsers: ['self'], Owners: ['amazon'] })).toEqual([]);
  });

  it('filters on each supported field, with * and ? wildcards', async () => {
    const instanceId = await launch(h);
    const { ImageId: golden } = await h.client.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: 'golden-al2023-2026.03.01.1',
        Description: 'Golden AL2023',
        TagSpecifications: [
          { ResourceType: 'image', Tags: [{ Key: 'ami-lifecycle:family', Value: 'golden-al2023' }] },
        ],
      }),
    );
    const { ImageId: app } = await h.client.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'payments-api-2026.03.01.1' }),
    );
    await h.clock.advance(600);
    await h.client.send(
      new CreateTagsCommand({ Resources: [app!], Tags: [{ Key: 'team', Value: 'payments' }] }),
    );

    const mine = (Filters: { Name: string; Values: string[] }[]) =>
      ids(h.client, { Owners: ['self'], Filters });
    expect(await mine([{ Name: 'name', Values: ['golden-*'] }])).toEqual([golden]);
    expect(await mine([{ Name: 'name', Values: ['*-2026.03.01.?'] }])).toEqual([golden, app]);
    expect(await mine([{ Name: 'name', Values: ['golden-al2023-2026.03.01.'] }])).toEqual([]);
    expect(await mine([{ Name: 'name', Values: ['nope', 'payments*'] }])).toEqual([app]);
    expect(await mine([{ Name: 'description', Values: ['Golden*'] }])).toEqual([golden]);
    expect(await mine([{ Name: 'state', Values: ['available'] }])).toEqual([golden, app]);
    expect(await mine([{ Name: 'state', Values: ['pending'] }])).toEqual([]);
    expect(await mine([{ Name: 'tag:ami-lifecycle:family', Values: ['golden-*'] }])).toEqual([golden]);
    expect(await mine([{ Name: 'tag-key', Values: ['team'] }])).toEqual([app]);
    expect(await mine([{ Name: 'image-id', Values: [app!] }])).toEqual([app]);
    expect(await mine([{ Name: 'architecture', Values: ['arm64'] }])).toEqual([]);
    expect(await mine([{ Name: 'source-instance-id', Values: [instanceId] }])).toEqual([golden, app]);
    // Filters combine as AND.
    expect(
      await mine([
        { Name: 'name', Values: ['*2026*'] },
        { Name: 'tag-key', Values: ['team'] },
      ]),
    ).toEqual([app]);

    const everyone = (Filters: { Name: string; Values: string[] }[]) => ids(h.client, { Filters });
    expect(await everyone([{ Name: 'is-public', Values: ['true'] }])).toEqual(
      expect.arrayContaining([al2023(), ubuntu()]),
    );
    expect(await everyone([{ Name: 'is-public', Values: ['false'] }])).toEqual([golden, app]);
    expect(await everyone([{ Name: 'owner-id', Values: [CANONICAL_OWNER_ID] }])).toEqual([ubuntu()]);
    expect(await everyone([{ Name: 'owner-alias', Values: ['amazon'] }])).toHaveLength(2);
    expect(await everyone([{ Name: 'architecture', Values: ['arm64'] }])).toHaveLength(1);
    expect(await everyone([{ Name: 'name', Values: ['al2023-ami-2023.6.*-x86_64'] }])).toEqual([al2023()]);
    expect(
      await everyone([{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-*'] }]),
    ).toEqual([ubuntu()]);
    expect(await errorCode(everyone([{ Name: 'colour', Values: ['blue'] }]))).toBe('InvalidParameterValue');
  });

  it('matches wildcard characters literally when escaped with a backslash', async () => {
    const instanceId = await launch(h);
    const { ImageId: literal } = await h.client.send(
      new CreateImageCommand({
        InstanceId: instanceId,
        Name: 'literal',
        Description: 'release * candidate?',
      }),
    );
    const { ImageId: plain } = await h.client.send(
      new CreateImageCommand({ InstanceId: instanceId, Name: 'plain', Description: 'release X candidate!' }),
    );
    const byDescription = (value: string) =>
      ids(h.client, { Owners: ['self'], Filters: [{ Name: 'description', Values: [value] }] });
    expect(await byDescription('release * candidate?')).toEqual([literal, plain]);
    expect(await byDescription('release \\* candidate\\?')).toEqual([literal]);
    expect(await byDescription('release \\* candidate?')).toEqual([literal]);
    expect(await byDescription('release ? candidate\\?')).toEqual([literal]);
  });

  it("hides the owner's tags from other accounts", async () => {
    const imageId = await buildImage(h, 'tagged-share');
    await h.client.send(
      new CreateTagsCommand({ Resources: [imageId], Tags: [{ Key: 'secret', Value: 'x' }] }),
    );
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: WORKLOADS }] },
      }),
    );
    const seen = (await h.clientFor(WORKLOADS).send(new DescribeImagesCommand({ ImageIds: [imageId] })))
      .Images![0]!;
    expect(seen.Tags).toBeUndefined();
    expect(await ids(h.clientFor(WORKLOADS), { Filters: [{ Name: 'tag-key', Values: ['secret'] }] })).toEqual(
      [],
    );
  });

  it('pages through more images than MaxResults without duplicates, stable across new images', async () => {
    const instanceId = await launch(h);
    const created: string[] = [];
    for (let n = 0; n < 12; n++) {
      const { ImageId } = await h.client.send(
        new CreateImageCommand({ InstanceId: instanceId, Name: `paged-${n}` }),
      );
      created.push(ImageId!);
    }
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await h.client.send(
        new DescribeImagesCommand({ Owners: ['self'], MaxResults: 5, NextToken }),
      );
      expect(page.Images!.length).toBeLessThanOrEqual(5);
      seen.push(...page.Images!.map((i) => i.ImageId!));
      NextToken = page.NextToken;
      pages++;
      // An image created mid-walk lands after the cursor and never shifts what was already returned.
      if (pages === 1) {
        const { ImageId } = await h.client.send(
          new CreateImageCommand({ InstanceId: instanceId, Name: 'late' }),
        );
        created.push(ImageId!);
      }
    } while (NextToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(created);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps MaxResults between 5 and 1000 and refuses foreign tokens', async () => {
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ MaxResults: 4 })))).toBe(
      'InvalidParameterValue',
    );
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ MaxResults: 1001 })))).toBe(
      'InvalidParameterValue',
    );
    expect(
      await errorCode(h.client.send(new DescribeImagesCommand({ MaxResults: 5, NextToken: 'garbage' }))),
    ).toBe('InvalidPaginationToken');
  });

  it('lets the outsider see public images only', async () => {
    await buildImage(h, 'internal');
    const visible = await ids(h.clientFor(OUTSIDER), {});
    expect(visible.sort()).toEqual(
      [...(await ids(h.client, { Owners: ['amazon', CANONICAL_OWNER_ID] }))].sort(),
    );
  });
});
