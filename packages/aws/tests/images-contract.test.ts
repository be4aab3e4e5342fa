import { fixedClock, PublicSharingRefusedError, UnmanagedImageError } from '@ami-lifecycle/core';
import { awsErrorCode, ResourceNotFoundError } from '../src';
import { createMemoryCloud, createMemoryRegions, MemoryImages } from '../src/memory';
import { describeImagesContract, managedTags } from './contracts/images-contract';
import { localImages } from './contracts/local-cloud-subjects';
import { memoryImages } from './contracts/memory-subjects';

describeImagesContract('Ec2Images on the local cloud', localImages);
describeImagesContract('MemoryImages', memoryImages);

describe('MemoryImages test controls', () => {
  it('fails a pending image on request', async () => {
    const cloud = createMemoryCloud();
    cloud.images.instanceExists = () => true;
    const { imageId } = await cloud.images.createImage({
      instanceId: 'i-0123456789abcdef0',
      name: 'golden-al2023-2026.03.01.1',
      description: 'golden',
      tags: managedTags,
    });

    cloud.images.completeImage(imageId, 'failed');

    expect((await cloud.images.describeImage(imageId))?.state).toBe('failed');
  });

  it('re-reads the managed tag from its own state, not from the caller', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({
      name: 'someone-elses',
      tags: { 'ami-lifecycle:managed': 'false' },
    });

    await expect(cloud.images.deregisterImage(imageId, { deleteSnapshots: true })).rejects.toBeInstanceOf(
      UnmanagedImageError,
    );
    expect(cloud.images.image(imageId)?.state).toBe('available');
  });

  it('matches `?` as one character in a name filter', async () => {
    const cloud = createMemoryCloud();
    const one = cloud.images.addImage({ name: 'app-1', tags: managedTags });
    cloud.images.addImage({ name: 'app-10', tags: managedTags });

    const found = await cloud.images.findImagesByName('app-?', ['self']);

    expect(found.map((i) => i.imageId)).toEqual([one]);
  });

  const copyRequest = (sourceImageId: string, overrides: Record<string, unknown> = {}) => ({
    sourceImageId,
    sourceRegion: 'eu-west-1',
    name: 'golden-copy',
    description: 'copy',
    kmsKeyId: 'alias/golden',
    tags: managedTags,
    clientToken: 'token-1',
    ...overrides,
  });

  it('keeps a copy pending for copySeconds, then makes it available', async () => {
    const clock = fixedClock('2026-03-01T00:00:00Z');
    const regions = createMemoryRegions(['eu-west-1', 'us-east-1'], { clock, copySeconds: 30 });
    const sourceImageId = regions.get('eu-west-1')!.images.addImage({ name: 'golden', tags: managedTags });
    const destination = regions.get('us-east-1')!.images;

    const { imageId } = await destination.copyImage(copyRequest(sourceImageId));
    clock.advance(29_999);
    const pending = (await destination.describeImage(imageId))?.state;
    clock.advance(1);

    expect(pending).toBe('pending');
    expect((await destination.describeImage(imageId))?.state).toBe('available');
    expect(destination.image(imageId)).toMatchObject({ sourceImageId, sourceRegion: 'eu-west-1' });
  });

  it('fails a pending copy on request', async () => {
    const cloud = createMemoryCloud({ regions: ['eu-west-1', 'us-east-1'] });
    const sourceImageId = cloud.images.addImage({ name: 'golden', tags: managedTags });
    const destination = cloud.regions.get('us-east-1')!.images;
    const { imageId } = await destination.copyImage(copyRequest(sourceImageId));

    destination.completeImage(imageId, 'failed');

    expect((await destination.describeImage(imageId))?.state).toBe('failed');
  });

  it('refuses a client token reused for a different copy, as EC2 does', async () => {
    const cloud = createMemoryCloud({ regions: ['eu-west-1', 'us-east-1'] });
    const sourceImageId = cloud.images.addImage({ name: 'golden', tags: managedTags });
    const destination = cloud.regions.get('us-east-1')!.images;
    await destination.copyImage(copyRequest(sourceImageId));

    const refused = await destination
      .copyImage(copyRequest(sourceImageId, { name: 'another-copy' }))
      .catch((e) => e);

    expect(awsErrorCode(refused)).toBe('IdempotentParameterMismatch');
    expect(await destination.findImagesByName('another-copy', ['self'])).toEqual([]);
  });

  it('finds no copy source in a region it was not wired to', async () => {
    const clock = fixedClock('2026-03-01T00:00:00Z');
    const source = new MemoryImages({ clock, region: 'eu-west-1' });
    const lonely = new MemoryImages({ clock, region: 'us-east-1' });
    const sourceImageId = source.addImage({ name: 'golden', tags: managedTags });

    await expect(lonely.copyImage(copyRequest(sourceImageId))).rejects.toBeInstanceOf(ResourceNotFoundError);
  });

  it('gives every region its own image and snapshot ids, the first region those of a lone fake', async () => {
    const clock = fixedClock('2026-03-01T00:00:00Z');
    const regions = createMemoryRegions(['eu-west-1', 'us-east-1'], { clock });
    const lone = new MemoryImages({ clock });

    const ids = ['eu-west-1', 'us-east-1'].map((r) => regions.get(r)!.images.addImage({ name: 'x' }));

    expect(ids[0]).toBe(lone.addImage({ name: 'x' }));
    expect(ids[1]).not.toBe(ids[0]);
    expect(regions.get('us-east-1')!.images.image(ids[1]!)?.snapshotIds).not.toEqual(
      regions.get('eu-west-1')!.images.image(ids[0]!)?.snapshotIds,
    );
    expect(() => createMemoryRegions(['eu-west-1', 'eu-west-1'], { clock })).toThrow(RangeError);
  });

  it('refuses a public grant by someone else while image block public access is on', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'golden', tags: managedTags });

    cloud.images.setImageBlockPublicAccess(true);
    const refused = (() => {
      try {
        cloud.images.setPublic(imageId, true);
      } catch (e) {
        return e;
      }
    })();
    cloud.images.setImageBlockPublicAccess(false);
    cloud.images.setPublic(imageId, true);

    expect(awsErrorCode(refused)).toBe('OperationNotPermitted');
    expect((await cloud.images.getLaunchPermissions(imageId)).public).toBe(true);
  });

  it('refuses public sharing with the same error and grant as Ec2Images', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'golden', tags: managedTags });

    const refused = await cloud.images
      .modifyLaunchPermissions(imageId, {
        add: { accountIds: ['all'], organizationArns: [], organizationalUnitArns: [] },
        remove: { accountIds: [], organizationArns: [], organizationalUnitArns: [] },
      })
      .catch((e) => e);

    expect(refused).toBeInstanceOf(PublicSharingRefusedError);
    expect(refused).toMatchObject({ imageId, grant: 'all' });
  });

  it("answers an image's state at a past moment", async () => {
    const cloud = createMemoryCloud();
    cloud.images.instanceExists = () => true;
    const t0 = cloud.clock.now();
    const { imageId } = await cloud.images.createImage({
      instanceId: 'i-0123456789abcdef0',
      name: 'golden',
      description: 'x',
      tags: managedTags,
    });
    cloud.advance(700);
    await cloud.images.deregisterImage(imageId, { deleteSnapshots: false });
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

    expect(cloud.images.stateAt(imageId, new Date(t0.getTime() - 1))).toBeUndefined();
    expect(cloud.images.stateAt(imageId, at(599))).toBe('pending');
    expect(cloud.images.stateAt(imageId, at(600))).toBe('available');
    expect(cloud.images.stateAt(imageId, at(700))).toBe('deregistered');
    expect(cloud.images.stateAt('ami-0123456789abcdef0', at(0))).toBeUndefined();
  });
});
