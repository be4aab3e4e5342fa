import {
  type ComputePort,
  type ImagePort,
  type LaunchPermissionGrants,
  PublicSharingRefusedError,
  UnmanagedImageError,
} from '@ami-lifecycle/core';
import { awsErrorCode, InvalidLaunchPermissionError, ResourceNotFoundError } from '../../src';
import { AL2023_PARAMETER } from '../../src/memory';

export const managedTags = { 'ami-lifecycle:managed': 'true', 'ami-lifecycle:family': 'golden-al2023' };

/** The organisation the local cloud models (the fakes accept any well-formed ARN). */
export const WORKLOADS_ACCOUNT = '222222222222';
export const ORGANIZATION_ARN = 'arn:aws:organizations::111111111111:organization/o-testorg123';
export const WORKLOADS_OU_ARN = 'arn:aws:organizations::111111111111:ou/o-testorg123/ou-root-workload';
export const TOOLING_OU_ARN = 'arn:aws:organizations::111111111111:ou/o-testorg123/ou-root-tooling1';
export const COPY_KMS_KEY = 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const NO_GRANTS: LaunchPermissionGrants = {
  accountIds: [],
  organizationArns: [],
  organizationalUnitArns: [],
};
const grants = (g: Partial<LaunchPermissionGrants>): LaunchPermissionGrants => ({ ...NO_GRANTS, ...g });

/** A snapshot as EC2 (or the fake) holds it. */
export interface SnapshotView {
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  tags: Record<string, string>;
}

export interface ImagesSubject {
  /** The port of the subject's home region. */
  port: ImagePort;
  /** The home region, where images are built. */
  region: string;
  /** The same account's port in another region, where copies from the home region land. */
  otherRegion: { region: string; port: ImagePort };
  /** Launches the builder instances images are made from (in the home region). */
  compute: ComputePort;
  advance(seconds: number): Promise<void>;
  /** Snapshot ids the account still owns (in the home region). */
  snapshotIds(): Promise<string[]>;
  /** The snapshots of an image of `region` as EC2 holds them, encryption and tags included. */
  snapshotsOf(imageId: string, region: string): Promise<SnapshotView[]>;
  /** Takes a tag off a snapshot as someone outside the controller would (home region). */
  untagSnapshot(snapshotId: string, key: string): Promise<void>;
  /**
   * Registers another image tagged managed on the snapshots of `imageId`, as RegisterImage from them
   * would (home region); answers its id.
   */
  imageOnSnapshotsOf(imageId: string, name: string): Promise<string>;
  /** Grants `Group=all` on an image as someone outside the controller would (home region). */
  makePublic(imageId: string): Promise<void>;
  /** Turns image block public access on or off for the account in the home region. */
  setImageBlockPublicAccess(on: boolean): Promise<void>;
  close?(): Promise<void>;
}

/** The behaviour every `ImagePort` adapter must have; the subject is shared by the suite's tests. */
export const describeImagesContract = (name: string, makeSubject: () => Promise<ImagesSubject>): void => {
  describe(`${name} (images contract)`, () => {
    let s: ImagesSubject;
    let images: ImagePort;
    beforeAll(async () => {
      s = await makeSubject();
      images = s.port;
    });
    afterAll(async () => {
      await s?.close?.();
    });

    const launchRunning = async (encrypted = true) => {
      const imageId = await images.resolveSsmImageParameter(AL2023_PARAMETER);
      const { instanceId } = await s.compute.launchInstance({
        imageId,
        instanceType: 't3.micro',
        instanceProfile: 'ami-lifecycle-builder',
        tags: { Name: 'builder' },
        rootVolume: { sizeGiB: 16, encrypted },
      });
      await s.advance(60);
      return instanceId;
    };
    const availableImage = async (imageName: string, tags: Record<string, string>, encrypted = true) => {
      const instanceId = await launchRunning(encrypted);
      const { imageId } = await images.createImage({
        instanceId,
        name: imageName,
        description: imageName,
        tags,
      });
      await s.advance(600);
      return imageId;
    };

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
      const instanceId = await launchRunning();

      const { imageId } = await images.createImage({
        instanceId,
        name: 'golden-al2023-2026.03.01.1',
        description: 'golden',
        tags: managedTags,
      });
      const pending = await images.describeImage(imageId);
      await s.advance(600);
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

    it('names an instance that does not exist as not found when asked to image it', async () => {
      await expect(
        images.createImage({ instanceId: 'i-0123456789abcdef0', name: 'orphan', description: 'x', tags: {} }),
      ).rejects.toBeInstanceOf(ResourceNotFoundError);
    });

    it('answers undefined for an image that does not exist', async () => {
      expect(await images.describeImage('ami-0123456789abcdef0')).toBeUndefined();
    });

    it('finds images by name filter, newest first', async () => {
      const older = await availableImage('find-me-1', managedTags);
      const newer = await availableImage('find-me-2', managedTags);
      await availableImage('other-1', managedTags);

      const found = await images.findImagesByName('find-me-*', ['self']);

      expect(found.map((i) => i.imageId)).toEqual([newer, older]);
    });

    it('deprecates and disables a managed image', async () => {
      const imageId = await availableImage('retire-me', managedTags);

      // Seconds past a minute: EC2 would round them to the minute, and into the past had it been now.
      await images.deprecateImage(imageId, new Date('2026-04-01T00:00:10Z'));
      await images.disableImage(imageId);

      expect(await images.describeImage(imageId)).toMatchObject({
        state: 'disabled',
        deprecationTime: '2026-04-01T00:01:00.000Z',
      });
    });

    it('deregisters a managed image with its snapshots, unless deregistration protection is on', async () => {
      const imageId = await availableImage('deregister-me', managedTags);
      const { snapshotIds } = (await images.describeImage(imageId))!;

      await images.setDeregistrationProtection(imageId, true);
      await expect(images.deregisterImage(imageId, { deleteSnapshots: true })).rejects.toThrow(/protection/);
      await images.setDeregistrationProtection(imageId, false);
      await images.deregisterImage(imageId, { deleteSnapshots: true });

      expect(await s.snapshotIds()).not.toEqual(expect.arrayContaining(snapshotIds));
      expect((await images.describeImage(imageId))?.state ?? 'deregistered').toBe('deregistered');
    });

    it('deregistering with snapshots leaves a snapshot not tagged managed', async () => {
      const imageId = await availableImage('deregister-untagged-snapshot', managedTags);
      const { snapshotIds } = (await images.describeImage(imageId))!;
      await s.untagSnapshot(snapshotIds[0]!, 'ami-lifecycle:managed');

      await images.deregisterImage(imageId, { deleteSnapshots: true });

      expect(snapshotIds.length).toBeGreaterThan(0);
      expect(await s.snapshotIds()).toEqual(expect.arrayContaining(snapshotIds));
      expect((await images.describeImage(imageId))?.state ?? 'deregistered').toBe('deregistered');
    });

    it('deregistering with snapshots keeps a snapshot another image still uses, as EC2 skips it', async () => {
      const imageId = await availableImage('deregister-shared-snapshot', managedTags);
      const { snapshotIds } = (await images.describeImage(imageId))!;
      const otherImageId = await s.imageOnSnapshotsOf(imageId, 'shares-snapshots');

      await images.deregisterImage(imageId, { deleteSnapshots: true });

      expect((await images.describeImage(imageId))?.state ?? 'deregistered').toBe('deregistered');
      expect(await s.snapshotIds()).toEqual(expect.arrayContaining(snapshotIds));
      expect((await images.describeImage(otherImageId))?.snapshotIds).toEqual(snapshotIds);
    });

    it.each([
      ['tagged managed=TRUE (wrong case)', { 'ami-lifecycle:managed': 'TRUE', Name: 'not-ours' }],
      ['untagged', {}],
    ])(
      'refuses to touch an unmanaged image (%s) and changes nothing, snapshots included',
      async (label, tags) => {
        const imageId = await availableImage(`not-ours-${label.split(' ')[0]}`, tags);
        const before = await images.describeImage(imageId);

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

        expect(await images.describeImage(imageId)).toEqual(before);
        expect(await s.snapshotIds()).toEqual(expect.arrayContaining(before?.snapshotIds ?? []));
        expect(before?.snapshotIds.length).toBeGreaterThan(0);
      },
    );

    it('refuses a public Amazon image even though the caller could name it', async () => {
      const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

      await expect(images.deregisterImage(amiId, { deleteSnapshots: false })).rejects.toBeInstanceOf(
        UnmanagedImageError,
      );
    });

    it('names an image that does not exist as not found when asked to change it', async () => {
      await expect(images.disableImage('ami-0123456789abcdef1')).rejects.toBeInstanceOf(
        ResourceNotFoundError,
      );
    });

    describe('copies', () => {
      const copyTags = { ...managedTags, 'ami-lifecycle:copy-of': 'golden-al2023' };
      const copyRequest = (sourceImageId: string, name: string) => ({
        sourceImageId,
        sourceRegion: s.region,
        name,
        description: `copy of ${sourceImageId}`,
        kmsKeyId: COPY_KMS_KEY,
        tags: copyTags,
        clientToken: `${name}-token`,
      });

      it('copies a managed image into another region: pending, then available, encrypted with the given key and tagged only as asked', async () => {
        // An unencrypted source, so only the copy request can make the copy encrypted.
        const sourceImageId = await availableImage(
          'copy-source-1',
          { ...managedTags, 'only-on-the-source': 'yes' },
          false,
        );
        const destination = s.otherRegion.port;

        const { imageId } = await destination.copyImage(copyRequest(sourceImageId, 'golden-copy-1'));
        const pending = await destination.describeImage(imageId);
        await s.advance(600);
        const available = await destination.describeImage(imageId);
        const snapshots = await s.snapshotsOf(imageId, s.otherRegion.region);

        expect(imageId).not.toBe(sourceImageId);
        expect(pending?.state).toBe('pending');
        expect(available).toMatchObject({ imageId, name: 'golden-copy-1', state: 'available' });
        expect(available?.tags).toEqual(copyTags);
        expect(snapshots.length).toBeGreaterThan(0);
        expect(snapshots).toEqual(
          snapshots.map(() => ({ encrypted: true, kmsKeyId: COPY_KMS_KEY, tags: copyTags })),
        );
        // The copy lives in the other region only; the source is still there, unchanged.
        expect(await images.describeImage(imageId)).toBeUndefined();
        expect((await images.describeImage(sourceImageId))?.state).toBe('available');
      });

      it('answers a retried copy with the same client token with the same image, and makes no second one', async () => {
        const sourceImageId = await availableImage('copy-source-2', managedTags);
        const destination = s.otherRegion.port;
        const request = copyRequest(sourceImageId, 'golden-copy-2');

        const first = await destination.copyImage(request);
        const retried = await destination.copyImage(request);

        expect(retried.imageId).toBe(first.imageId);
        expect((await destination.findImagesByName('golden-copy-2', ['self'])).map((i) => i.imageId)).toEqual(
          [first.imageId],
        );
      });

      it.each([
        ['tagged managed=TRUE (wrong case)', { 'ami-lifecycle:managed': 'TRUE', Name: 'not-ours' }],
        ['untagged', {}],
      ])('refuses to copy an unmanaged source (%s) and creates nothing', async (label, tags) => {
        const sourceImageId = await availableImage(`copy-not-ours-${label.split(' ')[0]}`, tags);
        const name = `copy-of-not-ours-${label.split(' ')[0]}`;

        const refused = await s.otherRegion.port.copyImage(copyRequest(sourceImageId, name)).catch((e) => e);
        await s.advance(600);

        expect(refused).toBeInstanceOf(UnmanagedImageError);
        expect(refused).toMatchObject({ imageId: sourceImageId, action: 'copy' });
        expect(await s.otherRegion.port.findImagesByName(name, ['self'])).toEqual([]);
      });

      it('refuses to copy a public Amazon image', async () => {
        const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

        await expect(
          s.otherRegion.port.copyImage(copyRequest(amiId, 'copy-of-amazon')),
        ).rejects.toBeInstanceOf(UnmanagedImageError);
        expect(await s.otherRegion.port.findImagesByName('copy-of-amazon', ['self'])).toEqual([]);
      });

      it('leaves a source that is still pending to EC2, which refuses it as unavailable', async () => {
        const instanceId = await launchRunning();
        const { imageId: sourceImageId } = await images.createImage({
          instanceId,
          name: 'copy-source-pending',
          description: 'still pending',
          tags: managedTags,
        });

        const refused = await s.otherRegion.port
          .copyImage(copyRequest(sourceImageId, 'copy-of-pending'))
          .catch((e) => e);
        await s.advance(600);

        expect(awsErrorCode(refused)).toBe('InvalidAMIID.Unavailable');
        expect(await s.otherRegion.port.findImagesByName('copy-of-pending', ['self'])).toEqual([]);
      });

      it('names a source that does not exist as not found', async () => {
        await expect(
          s.otherRegion.port.copyImage(copyRequest('ami-0123456789abcdef3', 'copy-of-nothing')),
        ).rejects.toBeInstanceOf(ResourceNotFoundError);
      });
    });

    describe('launch permissions', () => {
      it('adds and removes launch permissions for an account, an OU and the organisation', async () => {
        const imageId = await availableImage('share-me', managedTags);
        const initially = await images.getLaunchPermissions(imageId);

        await images.modifyLaunchPermissions(imageId, {
          add: grants({
            accountIds: [WORKLOADS_ACCOUNT],
            organizationArns: [ORGANIZATION_ARN],
            organizationalUnitArns: [WORKLOADS_OU_ARN],
          }),
          remove: NO_GRANTS,
        });
        const shared = await images.getLaunchPermissions(imageId);
        // One change that adds and removes at once.
        await images.modifyLaunchPermissions(imageId, {
          add: grants({ organizationalUnitArns: [TOOLING_OU_ARN] }),
          remove: grants({ accountIds: [WORKLOADS_ACCOUNT], organizationalUnitArns: [WORKLOADS_OU_ARN] }),
        });
        const narrowed = await images.getLaunchPermissions(imageId);
        await images.modifyLaunchPermissions(imageId, {
          add: NO_GRANTS,
          remove: grants({ organizationArns: [ORGANIZATION_ARN], organizationalUnitArns: [TOOLING_OU_ARN] }),
        });
        const unshared = await images.getLaunchPermissions(imageId);

        expect(initially).toEqual({ ...NO_GRANTS, public: false });
        expect(shared).toEqual({
          accountIds: [WORKLOADS_ACCOUNT],
          organizationArns: [ORGANIZATION_ARN],
          organizationalUnitArns: [WORKLOADS_OU_ARN],
          public: false,
        });
        expect(narrowed).toEqual({
          accountIds: [],
          organizationArns: [ORGANIZATION_ARN],
          organizationalUnitArns: [TOOLING_OU_ARN],
          public: false,
        });
        expect(unshared).toEqual(initially);
      });

      it.each<[string, Partial<LaunchPermissionGrants>, string]>([
        ['everyone (all)', { accountIds: [WORKLOADS_ACCOUNT, 'all'] }, 'all'],
        ['everyone (*)', { accountIds: [WORKLOADS_ACCOUNT, '*'] }, '*'],
        ['a 13-digit account id', { accountIds: [WORKLOADS_ACCOUNT, '2222222222222'] }, '2222222222222'],
        ['an 11-digit account id', { accountIds: ['22222222222'] }, '22222222222'],
        [
          'a wildcard organisation',
          { organizationArns: ['arn:aws:organizations::111111111111:organization/*'] },
          'arn:aws:organizations::111111111111:organization/*',
        ],
        [
          'an OU ARN that is not one',
          { organizationalUnitArns: ['arn:aws:organizations::111111111111:ou/o-testorg123/*'] },
          'arn:aws:organizations::111111111111:ou/o-testorg123/*',
        ],
        [
          'an organisation ARN given as an OU',
          { accountIds: [WORKLOADS_ACCOUNT], organizationalUnitArns: [ORGANIZATION_ARN] },
          ORGANIZATION_ARN,
        ],
      ])(
        'refuses to share with %s and changes nothing, not even the valid grants',
        async (label, add, grant) => {
          const imageId = await availableImage(`refuse-${label.replace(/[^a-z0-9]+/gi, '-')}`, managedTags);
          await images.modifyLaunchPermissions(imageId, {
            add: grants({ organizationalUnitArns: [TOOLING_OU_ARN] }),
            remove: NO_GRANTS,
          });
          const before = await images.getLaunchPermissions(imageId);

          const refused = await images
            .modifyLaunchPermissions(imageId, {
              add: grants(add),
              remove: grants({ organizationalUnitArns: [TOOLING_OU_ARN] }),
            })
            .catch((e) => e);

          expect(refused).toBeInstanceOf(PublicSharingRefusedError);
          expect(refused).toMatchObject({ imageId, grant });
          expect(await images.getLaunchPermissions(imageId)).toEqual(before);
          expect(before.organizationalUnitArns).toEqual([TOOLING_OU_ARN]);
        },
      );

      it('refuses to remove a value that names no account, organisation or OU', async () => {
        const imageId = await availableImage('remove-nonsense', managedTags);

        await expect(
          images.modifyLaunchPermissions(imageId, {
            add: NO_GRANTS,
            remove: grants({ accountIds: ['all'] }),
          }),
        ).rejects.toBeInstanceOf(InvalidLaunchPermissionError);
      });

      it('takes away a public grant someone else made, keeping the named ones', async () => {
        const imageId = await availableImage('made-public', managedTags);
        await images.modifyLaunchPermissions(imageId, {
          add: grants({ accountIds: [WORKLOADS_ACCOUNT] }),
          remove: NO_GRANTS,
        });
        await s.makePublic(imageId);
        const exposed = await images.getLaunchPermissions(imageId);

        await images.modifyLaunchPermissions(imageId, {
          add: NO_GRANTS,
          remove: NO_GRANTS,
          removePublic: true,
        });

        expect(exposed.public).toBe(true);
        expect(await images.getLaunchPermissions(imageId)).toEqual({
          ...NO_GRANTS,
          accountIds: [WORKLOADS_ACCOUNT],
          public: false,
        });
      });

      it('accepts a change with nothing to add or remove, and changes nothing', async () => {
        const imageId = await availableImage('share-nothing', managedTags);
        await images.modifyLaunchPermissions(imageId, {
          add: grants({ accountIds: [WORKLOADS_ACCOUNT] }),
          remove: NO_GRANTS,
        });
        const before = await images.getLaunchPermissions(imageId);

        await images.modifyLaunchPermissions(imageId, {
          add: NO_GRANTS,
          remove: NO_GRANTS,
          removePublic: false,
        });

        expect(await images.getLaunchPermissions(imageId)).toEqual(before);
      });

      it.each([
        ['tagged managed=TRUE (wrong case)', { 'ami-lifecycle:managed': 'TRUE', Name: 'not-ours' }],
        ['untagged', {}],
      ])('refuses to change launch permissions of an unmanaged image (%s)', async (label, tags) => {
        const imageId = await availableImage(`share-not-ours-${label.split(' ')[0]}`, tags);
        const before = await images.getLaunchPermissions(imageId);

        const refused = await images
          .modifyLaunchPermissions(imageId, {
            add: grants({ accountIds: [WORKLOADS_ACCOUNT] }),
            remove: NO_GRANTS,
          })
          .catch((e) => e);

        expect(refused).toBeInstanceOf(UnmanagedImageError);
        expect(refused).toMatchObject({ imageId, action: 'share' });
        expect(await images.getLaunchPermissions(imageId)).toEqual(before);
      });

      it('refuses to share a public Amazon image', async () => {
        const amiId = await images.resolveSsmImageParameter(AL2023_PARAMETER);

        await expect(
          images.modifyLaunchPermissions(amiId, {
            add: grants({ accountIds: [WORKLOADS_ACCOUNT] }),
            remove: NO_GRANTS,
          }),
        ).rejects.toBeInstanceOf(UnmanagedImageError);
      });

      it('names an image that does not exist as not found', async () => {
        await expect(images.getLaunchPermissions('ami-0123456789abcdef4')).rejects.toBeInstanceOf(
          ResourceNotFoundError,
        );
        await expect(
          images.modifyLaunchPermissions('ami-0123456789abcdef4', {
            add: grants({ accountIds: [WORKLOADS_ACCOUNT] }),
            remove: NO_GRANTS,
          }),
        ).rejects.toBeInstanceOf(ResourceNotFoundError);
      });

      it('reports whether image block public access is on', async () => {
        const initially = await images.isImageBlockPublicAccessOn();
        try {
          await s.setImageBlockPublicAccess(true);
          const on = await images.isImageBlockPublicAccessOn();
          await s.setImageBlockPublicAccess(false);
          const off = await images.isImageBlockPublicAccessOn();

          expect(initially).toBe(false);
          expect(on).toBe(true);
          expect(off).toBe(false);
        } finally {
          await s.setImageBlockPublicAccess(false);
        }
      });
    });
  });
};
