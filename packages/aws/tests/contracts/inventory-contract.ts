import {
  type ImageUse,
  type InventoryPort,
  type SharedUsagePort,
  UnmanagedSnapshotError,
} from '@ami-lifecycle/core';
import { awsErrorCode } from '../../src';

export const inventoryTags = (family: string, version: string) => ({
  'ami-lifecycle:managed': 'true',
  'ami-lifecycle:family': family,
  'ami-lifecycle:version': version,
});

/** Where a resource lives: the owner account (the inventory's) or the account the images are shared with. */
export type Account = 'owner' | 'other';

export interface InventorySubject {
  inventory: InventoryPort;
  /** The other account's uses, through its assumed role. */
  shared: SharedUsagePort;
  ownerAccountId: string;
  otherAccountId: string;
  region: string;
  /**
   * Available images of the owner account, one per name, each built from a 16 GiB root volume whose
   * one snapshot is tagged as the image.
   */
  images(names: readonly string[], tags: Record<string, string>): Promise<string[]>;
  deprecate(imageId: string, at: Date): Promise<void>;
  disable(imageId: string): Promise<void>;
  protect(imageId: string): Promise<void>;
  /** Deregisters an image and keeps its snapshots. */
  deregister(imageId: string): Promise<void>;
  /** Grants the other account launch permission on an owner image. */
  share(imageId: string): Promise<void>;
  /** Launches a running instance from the image in an account; answers its id. */
  launch(imageId: string, account: Account): Promise<string>;
  /** Stops or terminates an instance (and lets the transition finish). */
  settleInstance(instanceId: string, account: Account, state: 'stopped' | 'terminated'): Promise<void>;
  /**
   * A launch template of an account with one version per image id given (`resolve:ssm:<name>` names a
   * parameter), version 1 first, and `defaultVersion` as its default; answers its id.
   */
  launchTemplate(
    account: Account,
    name: string,
    versions: readonly string[],
    defaultVersion: number,
  ): Promise<string>;
  /** An owner `aws:ec2:image` parameter naming the image (validated). */
  putImageParameter(name: string, imageId: string): Promise<void>;
  /** The ids of an owner image's snapshots, as EC2 (or the fake) holds them. */
  snapshotsOf(imageId: string): Promise<string[]>;
  snapshotExists(snapshotId: string): Promise<boolean>;
  advance(seconds: number): Promise<void>;
  close?(): Promise<void>;
}

const byResource = (a: ImageUse, b: ImageUse) =>
  a.resource.localeCompare(b.resource) || (a.launchTemplateVersion ?? 0) - (b.launchTemplateVersion ?? 0);
const sortedUses = (uses: readonly ImageUse[]) => [...uses].sort(byResource);

/** The behaviour every `InventoryPort` and `SharedUsagePort` adapter pair must have. */
export const describeInventoryContract = (
  name: string,
  makeSubject: () => Promise<InventorySubject>,
): void => {
  describe(`${name} (inventory contract)`, () => {
    let s: InventorySubject;
    beforeAll(async () => {
      s = await makeSubject();
    }, 60_000);
    afterAll(async () => {
      await s?.close?.();
    });

    const image = async (imageName: string, tags: Record<string, string>) =>
      (await s.images([imageName], tags))[0]!;
    const onlySnapshot = async (imageId: string) => {
      const ids = await s.snapshotsOf(imageId);
      expect(ids).toHaveLength(1);
      return ids[0]!;
    };
    const instanceArn = (account: Account, instanceId: string) =>
      `arn:aws:ec2:${s.region}:${account === 'owner' ? s.ownerAccountId : s.otherAccountId}:instance/${instanceId}`;
    const templateArn = (account: Account, launchTemplateId: string) =>
      `arn:aws:ec2:${s.region}:${account === 'owner' ? s.ownerAccountId : s.otherAccountId}:launch-template/${launchTemplateId}`;

    describe('managed images', () => {
      it('lists only images tagged ami-lifecycle:managed=true, with their snapshots and our tags', async () => {
        // More than one small page of them.
        const all = await s.images(
          Array.from({ length: 7 }, (_, i) => `inv-managed-${i + 1}`),
          inventoryTags('inv-golden', '2026.03.01.1'),
        );
        const managed = all[0]!;
        const untagged = await image('inv-untagged-1', {});
        const shouting = await image('inv-shouting-1', { 'ami-lifecycle:managed': 'TRUE' });

        const listed = await s.inventory.listManagedImages();
        const ids = listed.map((i) => i.imageId);

        expect(ids).toEqual(expect.arrayContaining(all));
        expect(ids).not.toContain(untagged);
        expect(ids).not.toContain(shouting);
        const found = listed.find((i) => i.imageId === managed)!;
        expect(found).toEqual({
          imageId: managed,
          name: 'inv-managed-1',
          state: 'available',
          creationDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
          deregistrationProtection: false,
          family: 'inv-golden',
          version: '2026.03.01.1',
          snapshots: [{ snapshotId: expect.stringMatching(/^snap-/), sizeGiB: 16 }],
        });
      });

      it('includes deprecated, disabled and protected images, and drops deregistered ones', async () => {
        const [deprecated, disabled, protectedOne, gone] = await s.images(
          ['inv-deprecated', 'inv-disabled', 'inv-protected', 'inv-deregistered'],
          inventoryTags('inv-states', '1'),
        );
        const at = new Date('2026-09-01T00:00:00.000Z');
        await s.deprecate(deprecated!, at);
        await s.disable(disabled!);
        await s.protect(protectedOne!);
        await s.deregister(gone!);

        const listed = new Map((await s.inventory.listManagedImages()).map((i) => [i.imageId, i]));

        expect(listed.get(deprecated!)?.deprecationTime).toBe(at.toISOString());
        expect(listed.get(disabled!)?.state).toBe('disabled');
        expect(listed.get(protectedOne!)?.deregistrationProtection).toBe(true);
        expect(listed.get(deprecated!)?.deregistrationProtection).toBe(false);
        expect(listed.has(gone!)).toBe(false);
      });

      it("reports an image's last launch once an instance is launched from it", async () => {
        const imageId = await image('inv-launched', inventoryTags('inv-launch', '1'));
        const before = (await s.inventory.listManagedImages()).find((i) => i.imageId === imageId);

        await s.launch(imageId, 'owner');
        const after = (await s.inventory.listManagedImages()).find((i) => i.imageId === imageId);

        expect(before?.lastLaunchedTime).toBeUndefined();
        expect(after?.lastLaunchedTime).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(Date.parse(after!.lastLaunchedTime!)).toBeGreaterThanOrEqual(Date.parse(after!.creationDate));
      });
    });

    describe('image references', () => {
      it('answers instances that are not terminated, stopped ones included', async () => {
        const imageId = await image('inv-ref-instances', inventoryTags('inv-refs', '1'));
        const running = await s.launch(imageId, 'owner');
        const stopped = await s.launch(imageId, 'owner');
        const terminated = await s.launch(imageId, 'owner');
        await s.settleInstance(stopped, 'owner', 'stopped');
        await s.settleInstance(terminated, 'owner', 'terminated');

        const uses = await s.inventory.findImageReferences([imageId]);

        expect(sortedUses(uses)).toEqual(
          sortedUses([
            { imageId, kind: 'instance', resource: instanceArn('owner', running) },
            { imageId, kind: 'instance', resource: instanceArn('owner', stopped) },
          ]),
        );
      });

      it('answers a launch template whose only version naming the image is an old, non-default one', async () => {
        const [target, newer] = await s.images(
          ['inv-ref-lt-old', 'inv-ref-lt-new'],
          inventoryTags('inv-lt', '1'),
        );
        // Version 1 names the image; eleven later versions (more than EC2's default depth of 10) do not.
        const versions = [target!, ...Array.from({ length: 11 }, () => newer!)];
        const lt = await s.launchTemplate('owner', 'inv-owner-template', versions, 2);

        const uses = await s.inventory.findImageReferences([target!]);

        expect(uses).toEqual([
          { imageId: target, kind: 'launch-template', resource: templateArn('owner', lt) },
        ]);
      });

      it('answers an aws:ec2:image SSM parameter naming the image', async () => {
        const imageId = await image('inv-ref-parameter', inventoryTags('inv-param', '1'));
        await s.putImageParameter('/ami-lifecycle/inventory/golden', imageId);

        const uses = await s.inventory.findImageReferences([imageId]);

        expect(uses).toEqual([
          {
            imageId,
            kind: 'ssm-parameter',
            resource: `arn:aws:ssm:${s.region}:${s.ownerAccountId}:parameter/ami-lifecycle/inventory/golden`,
          },
        ]);
      });

      it('answers every image of a list longer than one DescribeImageReferences call takes', async () => {
        const names = Array.from({ length: 23 }, (_, i) => `inv-batch-${i}`);
        const imageIds = await s.images(names, inventoryTags('inv-batch', '1'));
        const instances = new Map<string, string>();
        for (const imageId of imageIds) instances.set(imageId, await s.launch(imageId, 'owner'));

        const uses = await s.inventory.findImageReferences(imageIds);

        expect(sortedUses(uses)).toEqual(
          sortedUses(
            imageIds.map((imageId) => ({
              imageId,
              kind: 'instance' as const,
              resource: instanceArn('owner', instances.get(imageId)!),
            })),
          ),
        );
      });

      it('answers nothing for images nothing uses, and nothing for an empty list', async () => {
        const imageId = await image('inv-ref-unused', inventoryTags('inv-unused', '1'));

        expect(await s.inventory.findImageReferences([imageId])).toEqual([]);
        expect(await s.inventory.findImageReferences([])).toEqual([]);
      });
    });

    describe('shared usage', () => {
      it("finds the other account's live instances of a shared image, which the owner's references miss", async () => {
        const imageId = await image('inv-shared-instance', inventoryTags('inv-shared', '1'));
        await s.share(imageId);
        // More than one small page of them.
        const live: string[] = [];
        for (let i = 0; i < 7; i++) live.push(await s.launch(imageId, 'other'));
        const gone = await s.launch(imageId, 'other');
        await s.settleInstance(gone, 'other', 'terminated');

        const theirs = await s.shared.findInstances([imageId]);
        const owners = await s.inventory.findImageReferences([imageId]);

        expect(sortedUses(theirs)).toEqual(
          sortedUses(
            live.map((id) => ({ imageId, kind: 'instance' as const, resource: instanceArn('other', id) })),
          ),
        );
        expect(owners).toEqual([]);
      });

      it("finds every version of the other account's launch templates that names an image, skipping resolve:ssm ones", async () => {
        const [shared, other] = await s.images(
          ['inv-shared-lt', 'inv-shared-lt-other'],
          inventoryTags('inv-shared-lt', '1'),
        );
        await s.share(shared!);
        await s.share(other!);
        const versions = [
          shared!,
          'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
          ...Array.from({ length: 9 }, () => other!),
          shared!,
        ];
        // Templates listed before it, more than one small page of them.
        for (let i = 0; i < 5; i++) await s.launchTemplate('other', `inv-other-decoy-${i}`, [other!], 1);
        const lt = await s.launchTemplate('other', 'inv-other-template', versions, 2);

        const uses = await s.shared.findLaunchTemplateVersions([shared!]);

        expect(sortedUses(uses)).toEqual([
          {
            imageId: shared,
            kind: 'launch-template',
            resource: templateArn('other', lt),
            launchTemplateVersion: 1,
          },
          {
            imageId: shared,
            kind: 'launch-template',
            resource: templateArn('other', lt),
            launchTemplateVersion: 12,
          },
        ]);
        expect(await s.shared.findInstances([shared!])).toEqual([]);
      });
    });

    describe('managed snapshots', () => {
      it("lists managed images' snapshots with sizes and our tags, and no one else's", async () => {
        const managed = await image('inv-snap-managed', inventoryTags('inv-snaps', '2026.03.01.2'));
        const unmanaged = await image('inv-snap-unmanaged', {});
        const [managedSnapshot] = await s.snapshotsOf(managed);
        const [unmanagedSnapshot] = await s.snapshotsOf(unmanaged);

        const snapshots = await s.inventory.listManagedSnapshots();

        expect(snapshots.find((x) => x.snapshotId === managedSnapshot)).toEqual({
          snapshotId: managedSnapshot,
          sizeGiB: 16,
          startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
          family: 'inv-snaps',
          version: '2026.03.01.2',
        });
        expect(unmanagedSnapshot).toMatch(/^snap-/);
        expect(snapshots.map((x) => x.snapshotId)).not.toContain(unmanagedSnapshot);
      });

      it("lists only one image's snapshots when asked for that image", async () => {
        const mine = await image('inv-snaps-of', inventoryTags('inv-snaps-of', '2026.03.01.1'));
        const other = await image('inv-snaps-of-other', inventoryTags('inv-snaps-of', '2026.03.01.2'));
        const [mineSnapshot] = await s.snapshotsOf(mine);
        await s.snapshotsOf(other);

        const snapshots = await s.inventory.listManagedSnapshots({
          family: 'inv-snaps-of',
          version: '2026.03.01.1',
        });

        expect(snapshots.map((x) => x.snapshotId)).toEqual([mineSnapshot]);
      });

      it('refuses to delete a snapshot not tagged managed, and leaves it', async () => {
        const imageId = await image('inv-snap-refused', {});
        const snapshotId = await onlySnapshot(imageId);
        await s.deregister(imageId);

        const refused = await s.inventory.deleteManagedSnapshot(snapshotId).catch((e: unknown) => e);

        expect(refused).toBeInstanceOf(UnmanagedSnapshotError);
        expect(refused).toMatchObject({ snapshotId });
        expect(await s.snapshotExists(snapshotId)).toBe(true);
      });

      it('deletes a managed snapshot once, and takes a second delete of it as done', async () => {
        const imageId = await image('inv-snap-deleted', inventoryTags('inv-snap-del', '1'));
        const snapshotId = await onlySnapshot(imageId);
        await s.deregister(imageId);

        await s.inventory.deleteManagedSnapshot(snapshotId);
        const existsAfterFirst = await s.snapshotExists(snapshotId);
        await s.inventory.deleteManagedSnapshot(snapshotId);

        expect(existsAfterFirst).toBe(false);
        expect((await s.inventory.listManagedSnapshots()).map((x) => x.snapshotId)).not.toContain(snapshotId);
      });

      it('leaves a managed snapshot that a registered image still uses, with EC2’s error', async () => {
        const imageId = await image('inv-snap-in-use', inventoryTags('inv-snap-use', '1'));
        const snapshotId = await onlySnapshot(imageId);

        const refused = await s.inventory.deleteManagedSnapshot(snapshotId).catch((e: unknown) => e);

        expect(awsErrorCode(refused)).toBe('InvalidSnapshot.InUse');
        expect(await s.snapshotExists(snapshotId)).toBe(true);
      });
    });
  });
};
