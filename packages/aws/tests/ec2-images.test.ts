import {
  type LaunchPermissionGrants,
  PublicSharingRefusedError,
  UnmanagedImageError,
} from '@ami-lifecycle/core';
import {
  CopyImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  type EC2Client,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { Ec2Images, ec2ClientsByRegion } from '../src';
import { availableImage, managedTags, OTHER_REGION, startTestCloud, type TestCloud } from './support/cloud';

const NO_GRANTS: LaunchPermissionGrants = {
  accountIds: [],
  organizationArns: [],
  organizationalUnitArns: [],
};
const WORKLOADS = '222222222222';
const KMS_KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Records every command a client sends (and still sends it). */
const recordCommands = (client: EC2Client) => {
  const spy = jest.spyOn(client, 'send');
  return {
    commands: () => spy.mock.calls.map(([command]) => command as unknown as { input: unknown }),
    restore: () => spy.mockRestore(),
  };
};

// The adapter-independent behaviour is in contracts/images-contract.ts (images-contract.test.ts);
// here is what only EC2's raw view of the image can show.
describe('Ec2Images', () => {
  let t: TestCloud;
  let images: Ec2Images;
  beforeAll(async () => {
    t = await startTestCloud();
    images = new Ec2Images(t.clients.ec2, t.clients.ssm, (region) => t.inRegion(region).ec2);
  });
  afterAll(() => t.cloud.stop());

  const rawLaunchPermissions = async (imageId: string) =>
    (
      await t.clients.ec2.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
      )
    ).LaunchPermissions;

  it.each([
    ['TRUE', { 'ami-lifecycle:managed': 'TRUE', Name: 'not-ours' }],
    ['untagged', {}],
  ])(
    'refuses to touch an unmanaged image (%s) and changes nothing in EC2, protection flag included',
    async (label, tags) => {
      const imageId = await availableImage(t, `not-ours-${label}`, tags);
      const before = await t.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));

      await expect(images.deregisterImage(imageId, { deleteSnapshots: true })).rejects.toBeInstanceOf(
        UnmanagedImageError,
      );
      await expect(images.deprecateImage(imageId, new Date('2026-04-01T00:00:00Z'))).rejects.toBeInstanceOf(
        UnmanagedImageError,
      );
      await expect(images.disableImage(imageId)).rejects.toBeInstanceOf(UnmanagedImageError);
      await expect(images.setDeregistrationProtection(imageId, true)).rejects.toBeInstanceOf(
        UnmanagedImageError,
      );
      await expect(images.setDeregistrationProtection(imageId, false)).rejects.toBeInstanceOf(
        UnmanagedImageError,
      );

      const after = await t.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      expect(after.Images).toEqual(before.Images);
    },
  );

  it('leaves EC2 launch permissions exactly as they were when a public grant is refused', async () => {
    const imageId = await availableImage(t, 'refused-public', managedTags);
    await images.modifyLaunchPermissions(imageId, {
      add: { ...NO_GRANTS, accountIds: [WORKLOADS] },
      remove: NO_GRANTS,
    });
    const before = await rawLaunchPermissions(imageId);

    for (const bad of ['all', '*', '2222222222222'])
      await expect(
        images.modifyLaunchPermissions(imageId, {
          add: { ...NO_GRANTS, accountIds: ['333333333333', bad] },
          remove: { ...NO_GRANTS, accountIds: [WORKLOADS] },
        }),
      ).rejects.toBeInstanceOf(PublicSharingRefusedError);

    expect(before).toEqual([{ UserId: WORKLOADS }]);
    expect(await rawLaunchPermissions(imageId)).toEqual(before);
  });

  it('refuses a public grant before making any call to EC2', async () => {
    const imageId = await availableImage(t, 'refused-before-any-call', managedTags);
    const sent = recordCommands(t.clients.ec2);
    try {
      await expect(
        images.modifyLaunchPermissions(imageId, {
          add: { ...NO_GRANTS, accountIds: ['all'] },
          remove: NO_GRANTS,
        }),
      ).rejects.toBeInstanceOf(PublicSharingRefusedError);

      expect(sent.commands()).toEqual([]);
    } finally {
      sent.restore();
    }
  });

  it('sends one ModifyImageAttribute that removes Group=all on removePublic and adds only named grants', async () => {
    const imageId = await availableImage(t, 'one-modify-call', managedTags);
    const sent = recordCommands(t.clients.ec2);
    try {
      await images.modifyLaunchPermissions(imageId, {
        add: { ...NO_GRANTS, accountIds: [WORKLOADS] },
        remove: NO_GRANTS,
        removePublic: true,
      });

      const modifies = sent.commands().filter((c) => c instanceof ModifyImageAttributeCommand);
      expect(modifies.map((c) => c.input)).toEqual([
        {
          ImageId: imageId,
          LaunchPermission: { Add: [{ UserId: WORKLOADS }], Remove: [{ Group: 'all' }] },
        },
      ]);
    } finally {
      sent.restore();
    }
  });

  it('sends no ModifyImageAttribute for a change with nothing to add or remove', async () => {
    const imageId = await availableImage(t, 'no-modify-call', managedTags);
    const sent = recordCommands(t.clients.ec2);
    try {
      await images.modifyLaunchPermissions(imageId, { add: NO_GRANTS, remove: NO_GRANTS });

      expect(sent.commands().some((c) => c instanceof ModifyImageAttributeCommand)).toBe(false);
    } finally {
      sent.restore();
    }
  });

  it('reads a copy source in its own region and copies it encrypted, with the client token and explicit tags only', async () => {
    const sourceImageId = await availableImage(t, 'copy-source', managedTags);
    const destinationEc2 = t.inRegion(OTHER_REGION).ec2;
    const askedFor: string[] = [];
    const destination = new Ec2Images(destinationEc2, t.inRegion(OTHER_REGION).ssm, (region) => {
      askedFor.push(region);
      return t.inRegion(region).ec2;
    });
    const sent = recordCommands(destinationEc2);
    try {
      const { imageId } = await destination.copyImage({
        sourceImageId,
        sourceRegion: t.cloud.region,
        name: 'copy-of-source',
        description: 'copy',
        kmsKeyId: KMS_KEY,
        tags: { 'ami-lifecycle:managed': 'true' },
        clientToken: 'copy-of-source-1',
      });
      await t.cloud.clock.advance(600);
      const { Images } = await destinationEc2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));

      expect(askedFor).toEqual([t.cloud.region]);
      const copies = sent.commands().filter((c) => c instanceof CopyImageCommand);
      expect(copies.map((c) => c.input)).toEqual([
        {
          SourceImageId: sourceImageId,
          SourceRegion: t.cloud.region,
          Name: 'copy-of-source',
          Description: 'copy',
          Encrypted: true,
          KmsKeyId: KMS_KEY,
          ClientToken: 'copy-of-source-1',
          TagSpecifications: [
            { ResourceType: 'image', Tags: [{ Key: 'ami-lifecycle:managed', Value: 'true' }] },
            { ResourceType: 'snapshot', Tags: [{ Key: 'ami-lifecycle:managed', Value: 'true' }] },
          ],
        },
      ]);
      const ebs = (Images?.[0]?.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs ? [m.Ebs] : []));
      expect(ebs.length).toBeGreaterThan(0);
      for (const e of ebs) expect(e).toMatchObject({ Encrypted: true, KmsKeyId: KMS_KEY });
    } finally {
      sent.restore();
    }
  });

  it('builds one client per region by default, with the credentials of the client it was given', async () => {
    const clients = ec2ClientsByRegion(t.clients.ec2);

    const usEast = clients('us-east-1');

    expect(clients('us-east-1')).toBe(usEast);
    expect(clients('eu-central-1')).not.toBe(usEast);
    expect(await usEast.config.region()).toBe('us-east-1');
    expect(await usEast.config.credentials()).toMatchObject(await t.clients.ec2.config.credentials());
  });
});
