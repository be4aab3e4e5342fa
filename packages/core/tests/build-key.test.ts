import { buildIdFor, buildKey } from '../src';

const components = [
  { name: 'os-update', commands: ['dnf -y upgrade'] },
  { name: 'hardening', commands: ['dnf -y install aide', 'aide --init'] },
];
const base = { sourceAmiId: 'ami-0a1b2c3d4e5f60718', configVersion: 3, components };

describe('buildKey', () => {
  it('gives the same hex SHA-256 for the same inputs, whatever the property order', () => {
    // Arrange
    const reordered = {
      components: components.map((c) => ({ commands: c.commands, name: c.name, kind: 'custom' })),
      configVersion: 3,
      sourceAmiId: 'ami-0a1b2c3d4e5f60718',
    };

    // Act
    const first = buildKey(base);
    const second = buildKey(reordered);

    // Assert
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
  });

  it.each([
    ['the source AMI', { ...base, sourceAmiId: 'ami-0fffffffffffffff0' }],
    ['the config version', { ...base, configVersion: 4 }],
    [
      'a command',
      { ...base, components: [components[0]!, { name: 'hardening', commands: ['aide --init'] }] },
    ],
    [
      'a component name',
      { ...base, components: [{ ...components[0]!, name: 'os-upgrade' }, components[1]!] },
    ],
    ['the component order', { ...base, components: [components[1]!, components[0]!] }],
    [
      'the order of commands inside a component',
      {
        ...base,
        components: [components[0]!, { name: 'hardening', commands: ['aide --init', 'dnf -y install aide'] }],
      },
    ],
  ])('changes when %s changes', (_what, changed) => {
    // Act / Assert
    expect(buildKey(changed)).not.toBe(buildKey(base));
  });
});

describe('buildIdFor', () => {
  it('is stable per delivery and differs between requests', () => {
    // Act
    const id = buildIdFor('golden-al2023', 'request-1');

    // Assert
    expect(id).toMatch(/^build-[0-9a-f]{24}$/);
    expect(buildIdFor('golden-al2023', 'request-1')).toBe(id);
    expect(buildIdFor('golden-al2023', 'request-2')).not.toBe(id);
    expect(buildIdFor('golden-ubuntu', 'request-1')).not.toBe(id);
  });
});
