import { UnmanagedImageError } from '@ami-lifecycle/core';
import { DescribeImagesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { Ec2Images, ResourceNotFoundError } from '../src';
import {
  AL2023_PARAMETER,
  availableImage,
  launchRunning,
  managedTags,
  startTestCloud,
  type TestCloud,
} from './support/cloud';

describe('Ec2Images', () => {
  let t: TestCloud;
  let images: Ec2Images;
  beforeAll(async () => {
    t = await startTestCloud();
    images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  });
  afterAll(() => t.cloud.stop());

  it('resolves the public AL2023 SSM parameter to an available Amazon image', async () => {
    const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

    expect(amiId).toMatch(/^ami-[0-9a-f]+$/);
    expect((await images.describeImage(amiId))?.state).toBe('available');
  });

  it('names a missing SSM parameter as not found', async () => {
    await expect(images.resolveSsmImageParameter('/ami-lifecycle/nothing/here')).rejects.toBeInstanceOf(
      ResourceNotFoundError,
    );
  });

  it('creates an image that is pending, then available with its snapshots after ten minutes', async () => {
    const { instanceId } = await launchRunning(t);

    const { imageId } = await images.createImage({
      instanceId,
      name: 'golden-al2023-2026.03.01.1',
      description: 'golden',
      tags: managedTags,
    });
    const pending = await images.describeImage(imageId);
    await t.cloud.clock.advance(600);
    const available = await images.describeImage(imageId);

    expect(pending?.state).toBe('pending');
    expect(available).toMatchObject({
      imageId,
      name: 'golden-al2023-2026.03.01.1',
      state: 'available',
      tags: managedTags,
      creationDate: expect.stringMatching(/^2026-03-01T/),
    });
    expect(available?.snapshotIds.length).toBeGreaterThan(0);
  });

  it('answers undefined for an image that does not exist', async () => {
    expect(await images.describeImage('ami-0123456789abcdef0')).toBeUndefined();
  });

  it('finds images by name filter, newest first', async () => {
    const older = await availableImage(t, 'find-me-1', managedTags);
    const newer = await availableImage(t, 'find-me-2', managedTags);
    await availableImage(t, 'other-1', managedTags);

    const found = await images.findImagesByName('find-me-*', ['self']);

    expect(found.map((i) => i.imageId)).toEqual([newer, older]);
  });

  it('deprecates and disables a managed image', async () => {
    const imageId = await availableImage(t, 'retire-me', managedTags);

    await images.deprecateImage(imageId, new Date('2026-04-01T00:00:00Z'));
    await images.disableImage(imageId);

    expect(await images.describeImage(imageId)).toMatchObject({
      state: 'disabled',
      deprecationTime: expect.stringMatching(/^2026-04-01T00:00/),
    });
  });

  it('deregisters a managed image with its snapshots, unless deregistration protection is on', async () => {
    const imageId = await availableImage(t, 'deregister-me', managedTags);
    const { snapshotIds } = (await images.describeImage(imageId))!;

    await images.setDeregistrationProtection(imageId, true);
    await expect(images.deregisterImage(imageId, { deleteSnapshots: true })).rejects.toThrow(/protection/);
    await images.setDeregistrationProtection(imageId, false);
    await images.deregisterImage(imageId, { deleteSnapshots: true });

    const left = await t.clients.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }));
    expect(left.Snapshots?.map((s) => s.SnapshotId)).not.toEqual(expect.arrayContaining(snapshotIds));
    expect((await images.describeImage(imageId))?.state ?? 'deregistered').toBe('deregistered');
  });

  it('refuses to touch an unmanaged image and changes nothing', async () => {
    const imageId = await availableImage(t, 'not-ours', {
      'ami-lifecycle:managed': 'TRUE',
      Name: 'not-ours',
    });
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

    const after = await t.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    expect(after.Images).toEqual(before.Images);
  });

  it('refuses a public Amazon image even though the caller could name it', async () => {
    const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

    await expect(images.deregisterImage(amiId, { deleteSnapshots: false })).rejects.toBeInstanceOf(
      UnmanagedImageError,
    );
  });
});
