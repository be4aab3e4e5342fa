import { imageBuilt } from '@ami-lifecycle/contracts';
import { DAY_MS } from '@ami-lifecycle/core';
import { reinspectDue, requestInspection } from '../src';
import { createWorld, HOME, inspectThrough, requestFor, START, seedImage } from './support/world';

const at = (days: number) => new Date(Date.parse(START) + days * DAY_MS);

describe('reinspectDue', () => {
  it('re-inspects a published image whose last inspection is older than the family’s period, once a day', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });
    const deps = { ...world.deps, inspections: world.inspections };

    // Act
    const early = await reinspectDue({ now: at(6) }, deps);
    const due = await reinspectDue({ now: at(7) }, deps);
    const repeated = await reinspectDue({ now: new Date(at(7).getTime() + 3_600_000) }, deps);

    // Assert
    expect(early).toMatchObject({ started: [], notDue: [`golden-al2023@${image.version}`] });
    expect(due.started).toEqual([
      expect.objectContaining({
        purpose: 'reinspection',
        family: 'golden-al2023',
        version: image.version,
        imageId: image.amiIds[HOME],
        correlationId: 'corr-1',
      }),
    ]);
    expect(repeated).toMatchObject({ started: [], duplicates: [`golden-al2023@${image.version}`] });
  });

  it('counts from the last re-inspection recorded in the audit trail', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world, { state: 'published' });
    world.cloud.clock.set(at(7));
    await inspectThrough(world, requestFor(image, 'reinspection'));

    // Act
    const result = await reinspectDue({ now: at(10) }, { ...world.deps, inspections: world.inspections });

    // Assert
    expect(result.notDue).toEqual([`golden-al2023@${image.version}`]);
  });
});

describe('requestInspection', () => {
  it('asks for one execution however often the same Image Built is delivered', async () => {
    // Arrange
    const world = await createWorld();
    const image = await seedImage(world);
    const detail = imageBuilt.schema.parse({
      schemaVersion: 1,
      family: image.family,
      version: image.version,
      correlationId: 'corr-1',
      idempotencyKey: `image-built:${image.family}@${image.version}`,
      occurredAt: START,
      imageId: image.amiIds[HOME],
      buildId: 'build-1',
      region: HOME,
      snapshotIds: ['snap-0123456789abcdef0'],
      sourceAmiId: 'ami-0fedcba9876543210',
      buildKey: 'a'.repeat(64),
    });

    // Act
    const outcomes = [];
    for (let i = 0; i < 3; i++)
      outcomes.push(
        (await requestInspection(detail, { ...world.deps, inspections: world.inspections })).outcome,
      );

    // Assert
    expect(outcomes).toEqual(['started', 'duplicate', 'duplicate']);
    expect([...world.inspections.executions.values()]).toEqual([
      expect.objectContaining({ purpose: 'candidate', family: image.family, imageId: image.amiIds[HOME] }),
    ]);
  });

  it('starts nothing for an Image Built whose AMI is not the catalog image’s, nor for an unknown image', async () => {
    // Arrange: a forged event names an existing image with another AMI.
    const world = await createWorld();
    const image = await seedImage(world);
    const forged = imageBuilt.schema.parse({
      schemaVersion: 1,
      family: image.family,
      version: image.version,
      correlationId: 'corr-forged',
      idempotencyKey: 'forged-1',
      occurredAt: START,
      imageId: 'ami-0fffffffffffffff0',
      buildId: 'build-1',
      region: HOME,
      snapshotIds: ['snap-0123456789abcdef0'],
      sourceAmiId: 'ami-0fedcba9876543210',
      buildKey: 'a'.repeat(64),
    });
    const deps = { ...world.deps, inspections: world.inspections };

    // Act / Assert
    await expect(requestInspection(forged, deps)).rejects.toThrow('its AMI in eu-west-1 is');
    await expect(requestInspection({ ...forged, version: '2099.01.01.1' }, deps)).rejects.toThrow(
      'the catalog has no such image',
    );
    expect(world.inspections.executions.size).toBe(0);
    expect((await world.catalog.listAudit(image.family, image.version)).items.map((r) => r.action)).toEqual([
      'create',
    ]);
  });
});
