import type { GateFinding } from '../gate';
import { MANAGED_TAG, TAG_PREFIX } from '../naming';

/** `pending`: covered, first scan not done; `scanned`: findings are meaningful; `none`: not covered. */
export type ScanCoverage = 'pending' | 'scanned' | 'none';

/**
 * A finding of an AMI together with the instance it was found on and that instance's tags, as Inspector
 * reports the finding's resource: whose instance it is decides whether the finding judges the image
 * (`judgesImage`). The adapters always fill both; a finding without them (a narrow test fake) counts.
 */
export interface ImageFinding extends GateFinding {
  instanceId?: string;
  /** The instance's tags as Inspector last saw them; `{}` when it has none. */
  instanceTags?: Readonly<Record<string, string>>;
}

/** Vulnerability findings (Amazon Inspector) as the gate sees them. */
export interface FindingsPort {
  coverage(instanceId: string): Promise<ScanCoverage>;
  /**
   * Findings of every instance launched from the AMI, any status, each with its instance and tags: the
   * gate counts the active ones of the instances that judge the image (`judgesImage`).
   */
  listFindingsForImage(amiId: string): Promise<ImageFinding[]>;
  listFindingsForInstance(instanceId: string): Promise<GateFinding[]>;
}

/**
 * The image an instance belongs to by our tags (`ami-lifecycle:managed=true` with a family and a version):
 * a builder of that image, a test instance of it. Undefined for any other instance, a workload's.
 */
export const managedInstanceImage = (
  tags: Readonly<Record<string, string | undefined>> | undefined,
): { family: string; version: string } | undefined => {
  const family = tags?.[`${TAG_PREFIX}family`];
  const version = tags?.[`${TAG_PREFIX}version`];
  return tags?.[MANAGED_TAG] === 'true' && family && version ? { family, version } : undefined;
};

/**
 * Whether a finding on an instance with these tags judges `image`, one of the instances launched from its
 * AMI. Workloads (instances we did not tag) run the image as it is, and so do its own test instances: they
 * count. Our instances of another image do not: a child image's builder starts from this AMI and then
 * installs the child's own packages, whose vulnerabilities are the child's, not this image's.
 */
export const judgesImage = (
  tags: Readonly<Record<string, string | undefined>> | undefined,
  image: { family: string; version: string },
): boolean => {
  const owner = managedInstanceImage(tags);
  return owner === undefined || (owner.family === image.family && owner.version === image.version);
};
