import { UnmanagedImageError } from '@ami-lifecycle/core';
import { createMemoryCloud } from '../src/memory';
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
});
