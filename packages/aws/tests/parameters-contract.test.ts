import { fixedClock } from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../src';
import { createMemoryCloud, createMemoryRegions, MemoryImages, MemoryParameters } from '../src/memory';
import { localParameters } from './contracts/local-cloud-subjects';
import { memoryParameters } from './contracts/memory-subjects';
import { describeParametersContract } from './contracts/parameters-contract';

describeParametersContract('SsmParameters on the local cloud', localParameters);
describeParametersContract('MemoryParameters', memoryParameters);

const managed = { 'ami-lifecycle:managed': 'true' };

describe('MemoryParameters', () => {
  it('validates exactly validationSeconds after the put', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'golden', tags: managed });

    await cloud.parameters.putImageParameter('/golden/latest', imageId);
    cloud.clock.advance(1999);
    const justBefore = await cloud.parameters.getParameter('/golden/latest');
    cloud.clock.advance(1);

    expect(justBefore).toBeUndefined();
    expect(await cloud.parameters.getParameter('/golden/latest')).toEqual({ value: imageId, version: 1 });
  });

  it('takes its validation delay from the options', async () => {
    const clock = fixedClock('2026-03-01T00:00:00Z');
    const images = new MemoryImages({ clock });
    const parameters = new MemoryParameters({ clock, images, validationSeconds: 30 });
    const imageId = images.addImage({ name: 'golden', tags: managed });

    await parameters.putImageParameter('/golden/latest', imageId);
    clock.advance(29_000);
    const early = await parameters.getParameter('/golden/latest');
    clock.advance(1_000);

    expect(early).toBeUndefined();
    expect(await parameters.getParameter('/golden/latest')).toEqual({ value: imageId, version: 1 });
  });

  it('judges an image as it was when the validation was due, however late the parameter is read', async () => {
    const cloud = createMemoryCloud();
    cloud.images.instanceExists = () => true;
    const { imageId: stillPending } = await cloud.images.createImage({
      instanceId: 'i-0123456789abcdef0',
      name: 'pending-at-validation',
      description: 'x',
      tags: managed,
    });
    const deregisteredLater = cloud.images.addImage({ name: 'deregistered-after-validation', tags: managed });

    await cloud.parameters.putImageParameter('/golden/pending', stillPending);
    await cloud.parameters.putImageParameter('/golden/gone-later', deregisteredLater);
    cloud.advance(3);
    await cloud.images.deregisterImage(deregisteredLater, { deleteSnapshots: false });
    cloud.advance(600); // the pending image is available by now, but was not when validated

    expect(cloud.images.image(stillPending)?.state).toBe('available');
    expect(await cloud.parameters.getParameter('/golden/pending')).toBeUndefined();
    expect(await cloud.parameters.getParameter('/golden/gone-later')).toEqual({
      value: deregisteredLater,
      version: 1,
    });
  });

  it('passes an image that became available before its validation was due', async () => {
    const cloud = createMemoryCloud();
    cloud.images.instanceExists = () => true;
    const { imageId } = await cloud.images.createImage({
      instanceId: 'i-0123456789abcdef0',
      name: 'nearly-done',
      description: 'x',
      tags: managed,
    });
    cloud.advance(599);

    await cloud.parameters.putImageParameter('/golden/latest', imageId);
    cloud.advance(2);

    expect(await cloud.parameters.getParameter('/golden/latest')).toEqual({ value: imageId, version: 1 });
  });

  it('validates against its own region only', async () => {
    const clock = fixedClock('2026-03-01T00:00:00Z');
    const regions = createMemoryRegions(['eu-west-1', 'us-east-1'], { clock });
    const imageId = regions.get('us-east-1')!.images.addImage({ name: 'golden', tags: managed });

    await regions.get('eu-west-1')!.parameters.putImageParameter('/golden/latest', imageId);
    await regions.get('us-east-1')!.parameters.putImageParameter('/golden/latest', imageId);
    clock.advance(2000);

    expect(await regions.get('eu-west-1')!.parameters.getParameter('/golden/latest')).toBeUndefined();
    expect(await regions.get('us-east-1')!.parameters.getParameter('/golden/latest')).toEqual({
      value: imageId,
      version: 1,
    });
  });

  it('fails the validation of an image refused on purpose, and gives its version number out again', async () => {
    const cloud = createMemoryCloud();
    const [a, b] = [
      cloud.images.addImage({ name: 'a', tags: managed }),
      cloud.images.addImage({ name: 'b', tags: managed }),
    ];
    await cloud.parameters.putImageParameter('/golden/latest', a);
    cloud.advance(2);

    cloud.parameters.refuseImage(b);
    const refused = await cloud.parameters.putImageParameter('/golden/latest', b);
    cloud.advance(2);
    const afterRefusal = await cloud.parameters.getParameter('/golden/latest');

    expect(refused.version).toBe(2);
    expect(afterRefusal).toEqual({ value: a, version: 1 });
    expect((await cloud.parameters.putImageParameter('/golden/next', a)).version).toBe(1);
    expect((await cloud.parameters.putImageParameter('/golden/latest', a)).version).toBe(2);
  });

  it('lists the puts still being validated', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'golden', tags: managed });

    await cloud.parameters.putImageParameter('/golden/latest', imageId);
    const pending = cloud.parameters.pendingPuts();
    cloud.advance(2);

    expect(pending).toEqual([
      { name: '/golden/latest', value: imageId, version: 1, validatesAt: new Date('2026-03-01T00:00:02Z') },
    ]);
    expect(cloud.parameters.pendingPuts()).toEqual([]);
  });

  it('makes a validated value what the images fake resolves', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'golden', tags: managed });

    await cloud.parameters.putImageParameter('/golden/latest', imageId);
    const beforeValidation = await cloud.images.resolveSsmImageParameter('/golden/latest').catch((e) => e);
    cloud.advance(2);

    expect(beforeValidation).toBeInstanceOf(ResourceNotFoundError);
    expect(await cloud.images.resolveSsmImageParameter('/golden/latest')).toBe(imageId);
  });

  it('refuses a name AWS reserves', async () => {
    const cloud = createMemoryCloud();
    const imageId = cloud.images.addImage({ name: 'golden', tags: managed });

    await expect(cloud.parameters.putImageParameter('/aws/service/mine', imageId)).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });
});
