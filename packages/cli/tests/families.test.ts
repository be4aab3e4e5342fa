import { addImage, createWorld, START } from './support/world';

describe('amictl families list', () => {
  it('lists every stored family by name: kind, base, config version, channels and images by state', async () => {
    const world = await createWorld(['golden-al2023', 'golden-ubuntu', 'orders-worker']);
    await addImage(world, {
      family: 'golden-al2023',
      version: '2026.03.01.1',
      state: 'published',
      createdAt: START,
      n: 1,
      channels: ['latest'],
    });
    await addImage(world, {
      family: 'golden-al2023',
      version: '2026.03.01.2',
      state: 'rejected',
      createdAt: START,
      n: 2,
    });

    expect(await world.run('families', 'list', '--json')).toBe(0);

    const views = JSON.parse(world.out.join('\n'));
    expect(views.map((v: { name: string }) => v.name)).toEqual([
      'golden-al2023',
      'golden-ubuntu',
      'orders-worker',
    ]);
    expect(views[0]).toEqual({
      name: 'golden-al2023',
      kind: 'golden',
      base: 'ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      configVersion: 1,
      storedAt: START,
      storedBy: 'test',
      channels: { latest: '2026.03.01.1' },
      images: { published: 1, rejected: 1 },
      configError: null,
    });
    expect(views[2]).toMatchObject({ kind: 'application', base: 'golden-al2023:latest', images: {} });
    expect(world.writes).toEqual([]);
  });

  it('prints a table, and says what to do when no policy is stored', async () => {
    const world = await createWorld(['golden-al2023']);
    expect(await world.run('families', 'list')).toBe(0);
    expect(world.out[0]).toMatch(/^FAMILY\s+KIND\s+BASE\s+CONFIG\s+CHANNELS\s+IMAGES\s+STORED$/);
    expect(world.out[1]).toMatch(
      /^golden-al2023\s+golden\s+ssm:\S+\s+v1\s+-\s+-\s+2026-03-01T10:00Z by test$/,
    );

    const empty = await createWorld([]);
    expect(await empty.run('families', 'list')).toBe(0);
    expect(empty.out).toEqual(['No families: apply a policy first (amictl config apply FILE).']);
  });
});
