import {
  DescribeImageReferencesCommand,
  type DescribeImageReferencesCommandInput,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { Ec2Inventory, Ec2SharedUsage, UnreadableImageReferenceError } from '../src';
import { SimulatedAwsError } from '../src/memory';
import { availableImage, managedTags, startTestCloud, type TestCloud } from './support/cloud';

/** An `EC2Client` whose `send` answers from `answer` by command, and records what it was sent. */
const stubClient = (answer: (command: { constructor: unknown; input: unknown }) => unknown) => {
  const sent: { constructor: unknown; input: unknown }[] = [];
  const client = {
    config: { region: async () => 'eu-west-1' },
    send: async (command: { constructor: unknown; input: unknown }) => {
      sent.push(command);
      return answer(command);
    },
  } as unknown as EC2Client;
  return { client, sent };
};

// The adapter-independent behaviour is in contracts/inventory-contract.ts (inventory-contract.test.ts);
// here is what only the requests sent to EC2, or answers the local cloud cannot give, can show.
describe('Ec2Inventory', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(() => t.cloud.stop());

  it('asks DescribeImageReferences about at most 10 images a call, for every type, live instances and all template versions', async () => {
    const imageId = await availableImage(t, 'inventory-request-shape', managedTags);
    const spy = jest.spyOn(t.clients.ec2, 'send');
    try {
      await new Ec2Inventory(t.clients.ec2).findImageReferences(Array.from({ length: 21 }, () => imageId));
      await new Ec2Inventory(t.clients.ec2).findImageReferences([
        ...Array.from({ length: 12 }, (_, i) => `ami-${i.toString(16).padStart(17, '0')}`),
        imageId,
      ]);
      const inputs = spy.mock.calls
        .map(([command]) => command)
        .filter((c) => c instanceof DescribeImageReferencesCommand)
        .map((c) => c.input as DescribeImageReferencesCommandInput);

      // The same id 21 times is asked once; 13 ids are asked as 10 and 3.
      expect(inputs.map((i) => i.ImageIds?.length)).toEqual([1, 10, 3]);
      for (const input of inputs)
        expect(input.ResourceTypes).toEqual([
          {
            ResourceType: 'ec2:Instance',
            ResourceTypeOptions: [
              { OptionName: 'state-name', OptionValues: ['pending', 'running', 'stopping', 'stopped'] },
            ],
          },
          {
            ResourceType: 'ec2:LaunchTemplate',
            // The most EC2 takes (1 to 10000), as many as a launch template can have versions.
            ResourceTypeOptions: [{ OptionName: 'version-depth', OptionValues: ['10000'] }],
          },
          { ResourceType: 'ssm:Parameter' },
          { ResourceType: 'imagebuilder:ImageRecipe' },
          { ResourceType: 'imagebuilder:ContainerRecipe' },
        ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('reads Image Builder recipes of both kinds as image-builder-recipe uses', async () => {
    const image = 'ami-0123456789abcdef0';
    const { client } = stubClient(() => ({
      ImageReferences: [
        {
          ImageId: image,
          ResourceType: 'imagebuilder:ImageRecipe',
          Arn: 'arn:aws:imagebuilder:eu-west-1:111111111111:image-recipe/golden/1.0.0',
        },
        {
          ImageId: image,
          ResourceType: 'imagebuilder:ContainerRecipe',
          Arn: 'arn:aws:imagebuilder:eu-west-1:111111111111:container-recipe/golden/1.0.0',
        },
      ],
    }));

    const uses = await new Ec2Inventory(client).findImageReferences([image]);

    expect(uses.map((u) => [u.kind, u.resource])).toEqual([
      ['image-builder-recipe', 'arn:aws:imagebuilder:eu-west-1:111111111111:image-recipe/golden/1.0.0'],
      ['image-builder-recipe', 'arn:aws:imagebuilder:eu-west-1:111111111111:container-recipe/golden/1.0.0'],
    ]);
  });

  it('refuses a reference it cannot read rather than count the image unused', async () => {
    const { client } = stubClient(() => ({
      ImageReferences: [{ ImageId: 'ami-0123456789abcdef0', ResourceType: 'ec2:SomethingNew', Arn: 'arn:x' }],
    }));

    await expect(
      new Ec2Inventory(client).findImageReferences(['ami-0123456789abcdef0']),
    ).rejects.toBeInstanceOf(UnreadableImageReferenceError);
  });
});

describe('Ec2SharedUsage', () => {
  it('skips a launch template deleted between the listing of templates and of its versions', async () => {
    const image = 'ami-0123456789abcdef0';
    const { client, sent } = stubClient((command) => {
      if (command instanceof DescribeLaunchTemplatesCommand)
        return {
          LaunchTemplates: [
            { LaunchTemplateId: 'lt-0000000000000000a' },
            { LaunchTemplateId: 'lt-0000000000000000b' },
          ],
        };
      if (command instanceof DescribeLaunchTemplateVersionsCommand) {
        if ((command.input as { LaunchTemplateId: string }).LaunchTemplateId === 'lt-0000000000000000a')
          throw new SimulatedAwsError('InvalidLaunchTemplateId.NotFound', 'gone');
        return { LaunchTemplateVersions: [{ VersionNumber: 3, LaunchTemplateData: { ImageId: image } }] };
      }
      throw new Error('unexpected command');
    });

    const uses = await new Ec2SharedUsage(client, '222222222222').findLaunchTemplateVersions([image]);

    expect(uses).toEqual([
      {
        imageId: image,
        kind: 'launch-template',
        resource: 'arn:aws:ec2:eu-west-1:222222222222:launch-template/lt-0000000000000000b',
        launchTemplateVersion: 3,
      },
    ]);
    // No Versions, MinVersion or MaxVersion: every version.
    expect(
      sent.filter((c) => c instanceof DescribeLaunchTemplateVersionsCommand).map((c) => c.input),
    ).toEqual([
      { LaunchTemplateId: 'lt-0000000000000000a', MaxResults: 200, NextToken: undefined },
      { LaunchTemplateId: 'lt-0000000000000000b', MaxResults: 200, NextToken: undefined },
    ]);
  });

  it('asks nothing of EC2 for no images', async () => {
    const { client, sent } = stubClient(() => ({}));
    const shared = new Ec2SharedUsage(client, '222222222222');

    expect(await shared.findLaunchTemplateVersions([])).toEqual([]);
    expect(await shared.findInstances([])).toEqual([]);
    expect(sent).toEqual([]);
  });
});
