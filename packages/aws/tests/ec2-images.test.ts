import { UnmanagedImageError } from '@ami-lifecycle/core';
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { Ec2Images } from '../src';
import { availableImage, startTestCloud, type TestCloud } from './support/cloud';

// The adapter-independent behaviour is in contracts/images-contract.ts (images-contract.test.ts);
// here is what only EC2's raw view of the image can show.
describe('Ec2Images', () => {
  let t: TestCloud;
  let images: Ec2Images;
  beforeAll(async () => {
    t = await startTestCloud();
    images = new Ec2Images(t.clients.ec2, t.clients.ssm);
  });
  afterAll(() => t.cloud.stop());

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
});
