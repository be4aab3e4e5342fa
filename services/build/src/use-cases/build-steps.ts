import type { CatalogPort } from '@ami-lifecycle/core';
import { type BuildFamilyConfig, loadFamilyConfigVersion } from './family-config';

/** One SSM command on the builder: a component of the family, run as one script. */
export interface BuildStep {
  name: string;
  commands: readonly string[];
  timeoutSeconds: number;
}

/**
 * The commands a build runs, in order: the OS-update components first (design 1: "apply all OS updates,
 * run the family's components"), then every other component in the order the config lists them. The sort
 * is stable, so two OS-update components keep their own order too.
 */
export const buildSteps = (config: BuildFamilyConfig): BuildStep[] => {
  const components = config.build.components;
  const ordered = [
    ...components.filter((c) => c.kind === 'os-update'),
    ...components.filter((c) => c.kind !== 'os-update'),
  ];
  return ordered.map((c) => ({ name: c.name, commands: c.commands, timeoutSeconds: c.timeoutSeconds }));
};

/**
 * The steps of a build as its image was started: the config version recorded on the image, not the
 * family's current one, so a config applied mid-build cannot change what the remaining steps run.
 */
export const loadBuildSteps = async (
  catalog: CatalogPort,
  family: string,
  configVersion: number | undefined,
): Promise<BuildStep[]> => buildSteps((await loadFamilyConfigVersion(catalog, family, configVersion)).config);
