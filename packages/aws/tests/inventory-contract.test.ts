import { fixedClock } from '@ami-lifecycle/core';
import { MemoryInventory, MemorySharedUsage } from '../src/memory';
import { describeInventoryContract } from './contracts/inventory-contract';
import { localInventory } from './contracts/local-cloud-subjects';
import { memoryInventory } from './contracts/memory-subjects';

describeInventoryContract('Ec2Inventory and Ec2SharedUsage on the local cloud', localInventory);
describeInventoryContract('MemoryInventory and MemorySharedUsage', memoryInventory);

describe('MemoryInventory test controls', () => {
  const managed = { 'ami-lifecycle:managed': 'true' };

  it('answers Image Builder recipes of both kinds as image-builder-recipe uses', async () => {
    const inventory = new MemoryInventory({ clock: fixedClock('2026-03-01T00:00:00Z') });
    const imageId = inventory.addImage({ name: 'golden', tags: managed });
    const image = inventory.addRecipe('image', 'golden', imageId);
    const container = inventory.addRecipe('container', 'golden-container', imageId);

    const uses = await inventory.findImageReferences([imageId]);

    expect(uses).toEqual([
      { imageId, kind: 'image-builder-recipe', resource: image },
      { imageId, kind: 'image-builder-recipe', resource: container },
    ]);
    expect(image).toBe('arn:aws:imagebuilder:eu-west-1:123456789012:image-recipe/golden/1.0.0');
  });

  it('lists the snapshots deleted through the port, and only those', async () => {
    const inventory = new MemoryInventory({ clock: fixedClock('2026-03-01T00:00:00Z') });
    const loose = inventory.addSnapshot({ sizeGiB: 30, tags: managed });
    const imageId = inventory.addImage({ name: 'golden', tags: managed, snapshots: [{ sizeGiB: 8 }] });
    const [used] = inventory.image(imageId)!.snapshotIds;

    await inventory.deleteManagedSnapshot(loose);
    await inventory.deleteManagedSnapshot(loose);
    await inventory.deleteManagedSnapshot(used!).catch(() => undefined);

    expect(inventory.deletedSnapshots()).toEqual([loose]);
    expect(inventory.snapshot(used!)).toMatchObject({ sizeGiB: 8, tags: managed });
  });

  it('keeps the two accounts apart: ids never collide, and neither fake sees the other', async () => {
    const inventory = new MemoryInventory({ clock: fixedClock('2026-03-01T00:00:00Z') });
    const shared = new MemorySharedUsage();
    const imageId = inventory.addImage({ name: 'golden', tags: managed });

    const mine = inventory.launchInstance(imageId);
    const theirs = shared.launchInstance(imageId);

    expect(mine).not.toBe(theirs);
    expect(await inventory.findImageReferences([imageId])).toEqual([
      { imageId, kind: 'instance', resource: inventory.instanceArn(mine) },
    ]);
    expect(await shared.findInstances([imageId])).toEqual([
      { imageId, kind: 'instance', resource: `arn:aws:ec2:eu-west-1:222222222222:instance/${theirs}` },
    ]);
  });
});
