import {
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DisableImageCommand,
  DisableImageDeprecationCommand,
  DisableImageDeregistrationProtectionCommand,
  EnableImageCommand,
  EnableImageDeprecationCommand,
  EnableImageDeregistrationProtectionCommand,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { buildImage, type Ec2Harness, errorCode, startEc2, WORKLOADS } from './support';

describe('EC2 image deprecation, disabling and deregistration protection', () => {
  let h: Ec2Harness;
  let imageId: string;
  beforeEach(async () => {
    h = await startEc2();
    imageId = await buildImage(h, 'golden-governed');
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: { Add: [{ UserId: WORKLOADS }] },
      }),
    );
  });
  afterEach(() => h.close());

  const listed = async (client = h.client, input = {}) =>
    ((await client.send(new DescribeImagesCommand(input))).Images ?? []).map((i) => i.ImageId);
  const stateEvents = () =>
    h.edge.emitted.filter((e) => e.detailType === 'EC2 AMI State Change').map((e) => e.detail.State);

  describe('deprecation', () => {
    it('hides a deprecated image from other accounts once DeprecationTime passes, unless asked for', async () => {
      const workloads = h.clientFor(WORKLOADS);
      await h.client.send(
        new EnableImageDeprecationCommand({
          ImageId: imageId,
          DeprecateAt: new Date('2026-03-02T00:00:20Z'),
        }),
      );
      const described = (await h.client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
      // Rounded to the minute, as EC2 rounds it.
      expect(described.DeprecationTime).toBe('2026-03-02T00:00:00.000Z');
      expect(await listed(workloads)).toContain(imageId);

      await h.clock.advance(24 * 3600);
      expect(await listed(workloads)).not.toContain(imageId);
      expect(await listed(workloads, { IncludeDeprecated: true })).toContain(imageId);
      expect(await listed(workloads, { ImageIds: [imageId] })).toEqual([imageId]);
      expect(await listed(h.client)).toContain(imageId);
      // Deprecated images can still be launched.
      const run = await workloads.send(
        new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }),
      );
      expect(run.Instances).toHaveLength(1);
    });

    it('cancels a deprecation', async () => {
      await h.client.send(
        new EnableImageDeprecationCommand({
          ImageId: imageId,
          DeprecateAt: new Date('2026-03-01T01:00:00Z'),
        }),
      );
      await h.client.send(new DisableImageDeprecationCommand({ ImageId: imageId }));
      await h.clock.advance(7200);
      expect(await listed(h.clientFor(WORKLOADS))).toContain(imageId);
      const image = (await h.client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
      expect(image.DeprecationTime).toBeUndefined();
    });

    it('refuses a deprecation time in the past and a non-owner', async () => {
      expect(
        await errorCode(
          h.client.send(
            new EnableImageDeprecationCommand({
              ImageId: imageId,
              DeprecateAt: new Date('2025-01-01T00:00:00Z'),
            }),
          ),
        ),
      ).toBe('InvalidParameterValue');
      expect(
        await errorCode(
          h.clientFor(WORKLOADS).send(
            new EnableImageDeprecationCommand({
              ImageId: imageId,
              DeprecateAt: new Date('2027-01-01T00:00:00Z'),
            }),
          ),
        ),
      ).toBe('AuthFailure');
    });
  });

  describe('disabling', () => {
    it('disables an image: hidden unless IncludeDisabled for its owner, not launchable, unshared; emits disabled', async () => {
      const out = await h.client.send(new DisableImageCommand({ ImageId: imageId }));
      expect(out.Return).toBe(true);
      expect(stateEvents()).toEqual(['available', 'disabled']);
      expect(await listed(h.client, { Owners: ['self'] })).toEqual([]);
      const mine = (
        await h.client.send(new DescribeImagesCommand({ Owners: ['self'], IncludeDisabled: true }))
      ).Images!;
      expect(mine.map((i) => [i.ImageId, i.State])).toEqual([[imageId, 'disabled']]);
      expect(await listed(h.clientFor(WORKLOADS), { IncludeDisabled: true })).not.toContain(imageId);
      expect(
        await errorCode(
          h.client.send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })),
        ),
      ).toBe('InvalidAMIID.Unavailable');
      expect(
        await errorCode(
          h
            .clientFor(WORKLOADS)
            .send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 })),
        ),
      ).toBe('InvalidAMIID.NotFound');
      // A disabled image cannot be shared.
      expect(
        await errorCode(
          h.client.send(
            new ModifyImageAttributeCommand({
              ImageId: imageId,
              LaunchPermission: { Add: [{ Group: 'all' }] },
            }),
          ),
        ),
      ).toBe('InvalidAMIID.Unavailable');
    });

    it('re-enables an image as available, without its old launch permissions, and emits available', async () => {
      await h.client.send(new DisableImageCommand({ ImageId: imageId }));
      await h.client.send(new EnableImageCommand({ ImageId: imageId }));
      expect(stateEvents()).toEqual(['available', 'disabled', 'available']);
      expect(await listed(h.client, { Owners: ['self'] })).toEqual([imageId]);
      const perms = await h.client.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
      );
      expect(perms.LaunchPermissions).toEqual([]);
      expect(await errorCode(h.client.send(new EnableImageCommand({ ImageId: imageId })))).toBe(
        'IncorrectState',
      );
    });
  });

  describe('deregistration protection', () => {
    it('refuses to deregister a protected image until protection is disabled', async () => {
      await h.client.send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      const image = (await h.client.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
      expect(image.DeregistrationProtection).toBe('enabled-without-cooldown');
      expect(await errorCode(h.client.send(new DeregisterImageCommand({ ImageId: imageId })))).toBe(
        'InvalidParameterValue',
      );
      await h.client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      await h.client.send(new DeregisterImageCommand({ ImageId: imageId }));
      expect(stateEvents()).toEqual(['available', 'deregistered']);
    });

    it('keeps refusing for 24 hours after protection with cooldown is disabled', async () => {
      await h.client.send(
        new EnableImageDeregistrationProtectionCommand({ ImageId: imageId, WithCooldown: true }),
      );
      const attr = await h.client.send(
        new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'deregistrationProtection' }),
      );
      expect(attr.DeregistrationProtection?.Value).toBe('enabled-with-cooldown');
      await h.client.send(new DisableImageDeregistrationProtectionCommand({ ImageId: imageId }));
      await h.clock.advance(23 * 3600);
      expect(await errorCode(h.client.send(new DeregisterImageCommand({ ImageId: imageId })))).toBe(
        'InvalidParameterValue',
      );
      await h.clock.advance(3600);
      const out = await h.client.send(new DeregisterImageCommand({ ImageId: imageId }));
      expect(out.Return).toBe(true);
    });

    it('lets only the owner change protection', async () => {
      expect(
        await errorCode(
          h.clientFor(WORKLOADS).send(new EnableImageDeregistrationProtectionCommand({ ImageId: imageId })),
        ),
      ).toBe('AuthFailure');
    });
  });
});
