import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import { type Image, parsePolicy, type StoredConfig, type UsageFact } from '@ami-lifecycle/core';
import { discountOwnInspections } from '../src/use-cases/own-launches';

const HOME = 'eu-west-1';
const OTHER = 'eu-central-1';
const NOW = new Date('2026-06-10T00:00:00Z');
const REINSPECTED = '2026-06-08T10:00:00.000Z';
const configs = new Map(
  Object.entries(
    parsePolicy(readFileSync(join(__dirname, '../../../examples/ami-lifecycle.yaml'), 'utf8'), 'example')
      .families as Record<string, StoredConfig>,
  ),
);

/** golden-al2023 1.0 published in two regions, re-inspected (a test instance launched) two days ago. */
const world = async () => {
  const catalog = new InMemoryCatalog();
  const image: Image = {
    family: 'golden-al2023',
    version: '2026.01.01.1',
    state: 'published',
    stateVersion: 0,
    amiIds: { [HOME]: 'ami-0000000000000000a', [OTHER]: 'ami-0000000000000000b' },
    snapshotIds: [],
    vulnerable: false,
    managed: true,
    createdAt: '2026-01-01T00:00:00.000Z',
    stateChangedAt: '2026-01-01T00:00:00.000Z',
  };
  await catalog.createImage(image, { actor: 'test', reason: 'seed', correlationId: 'c' });
  await catalog.updateImage(
    image.family,
    image.version,
    0,
    { findings: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 } },
    {
      actor: 'inspect-service',
      reason: 're-inspected: pass',
      correlationId: 'c',
      at: REINSPECTED,
      action: 'reinspected',
    },
  );
  const discount = (facts: UsageFact[]) =>
    discountOwnInspections({ facts, images: [image], configs, region: HOME, now: NOW }, catalog);
  return { catalog, image, discount };
};

const launchedAt = (amiId: string, at: string, inUse = false): UsageFact => ({
  amiId,
  inUse,
  references: inUse ? ['arn:aws:ec2:eu-west-1:111111111111:instance/i-1'] : [],
  lastLaunchedAt: at,
});

describe('discountOwnInspections', () => {
  it('drops the last launch of the home AMI when it was the re-inspection’s own test instance', async () => {
    // Arrange: the test instance launched half an hour before the re-inspection was recorded.
    const { discount } = await world();

    // Act
    const [fact] = await discount([launchedAt('ami-0000000000000000a', '2026-06-08T09:30:00.000Z')]);

    // Assert
    expect(fact).toEqual({ amiId: 'ami-0000000000000000a', inUse: false, references: [] });
  });

  it('keeps a launch after the inspection ended, one in another region, and an image in use', async () => {
    // Arrange
    const { discount } = await world();

    // Act
    const facts = await discount([
      launchedAt('ami-0000000000000000a', '2026-06-08T12:00:00.000Z'),
      launchedAt('ami-0000000000000000b', '2026-06-08T09:30:00.000Z'),
    ]);
    const [inUse] = await discount([launchedAt('ami-0000000000000000a', '2026-06-08T09:30:00.000Z', true)]);

    // Assert
    expect(facts.map((f) => f.lastLaunchedAt)).toEqual([
      '2026-06-08T12:00:00.000Z',
      '2026-06-08T09:30:00.000Z',
    ]);
    expect(inUse?.lastLaunchedAt).toBe('2026-06-08T09:30:00.000Z');
  });

  it('keeps a launch long before the inspection started', async () => {
    // Arrange: the example's golden scan timeout is 45 minutes and its longest test 600 s: a launch a day
    // before the recorded end is no test instance of that inspection.
    const { discount } = await world();

    // Act
    const [fact] = await discount([launchedAt('ami-0000000000000000a', '2026-06-07T10:00:00.000Z')]);

    // Assert
    expect(fact?.lastLaunchedAt).toBe('2026-06-07T10:00:00.000Z');
  });
});
