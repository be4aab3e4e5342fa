import { type BuildFamilyConfig, buildSteps } from '../src';
import { exampleFamilies } from './support/world';

const golden = (): BuildFamilyConfig => ({ ...exampleFamilies()['golden-al2023']!, name: 'golden-al2023' });

describe('buildSteps', () => {
  it('runs the OS updates first, then every other component in the order the config lists them', () => {
    // Arrange
    const family = golden();
    const [osUpdate, agent, hardening] = family.build.components;
    const reordered = { ...family, build: { ...family.build, components: [agent!, osUpdate!, hardening!] } };

    // Act
    const steps = buildSteps(reordered);

    // Assert
    expect(steps.map((s) => s.name)).toEqual(['os-update', 'cloudwatch-agent', 'hardening']);
    expect(steps[0]).toEqual({
      name: 'os-update',
      commands: ['dnf -y upgrade --releasever=latest', 'dnf clean all'],
      timeoutSeconds: 1800,
    });
  });

  it('has no steps for a family without components', () => {
    const family = golden();
    expect(buildSteps({ ...family, build: { ...family.build, components: [] } })).toEqual([]);
  });
});
