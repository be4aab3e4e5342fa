// What the story prints about an image, read from where it lives: Inspector2's findings, EC2's copies and
// launch permissions, SSM's parameters, the refresh service's decisions in the catalog. Nothing here
// decides an outcome; it only reads one.
import type { FamilyConfig, FindingsSummary, Image, RefreshDecision } from '@ami-lifecycle/core';
import { DescribeImageAttributeCommand, DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  type FilterCriteria,
  type Finding,
  Inspector2Client,
  ListFindingsCommand,
} from '@aws-sdk/client-inspector2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { LocalPipeline } from './local-pipeline';

/** Pages of a listing the story reads at most: the story's images have a handful of findings each. */
const MAX_PAGES = 20;

/** One Inspector finding as the story tells it. */
export interface StoryFinding {
  vulnerabilityId: string;
  severity: string;
  status: string;
  instanceId: string;
  /** Each vulnerable package: its name, the installed build and the first fixed one (`NotAvailable`). */
  packages: { name: string; installed: string; fixedIn: string }[];
  title: string;
}

const packageVersion = (p: { epoch?: number; version?: string; release?: string }): string =>
  `${p.epoch ? `${p.epoch}:` : ''}${p.version ?? '?'}${p.release ? `-${p.release}` : ''}`;

const toStoryFinding = (f: Finding): StoryFinding => ({
  vulnerabilityId: f.packageVulnerabilityDetails?.vulnerabilityId ?? f.title ?? '?',
  severity: f.severity ?? '?',
  status: f.status ?? '?',
  instanceId: f.resources?.[0]?.id ?? '?',
  packages: (f.packageVulnerabilityDetails?.vulnerablePackages ?? []).map((p) => ({
    name: p.name ?? '?',
    installed: packageVersion(p),
    fixedIn: p.fixedInVersion ?? 'NotAvailable',
  })),
  title: f.description ?? f.title ?? '',
});

/** Inspector2's findings (every status) that match the filter, in the home region of the tooling account. */
export const inspectorFindings = async (
  pipeline: LocalPipeline,
  filterCriteria: FilterCriteria,
): Promise<StoryFinding[]> => {
  const inspector = new Inspector2Client(pipeline.cloud.clientConfig);
  const out: StoryFinding[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await inspector.send(new ListFindingsCommand({ filterCriteria, maxResults: 100, nextToken }));
    out.push(...(res.findings ?? []).map(toStoryFinding));
    nextToken = res.nextToken;
    if (!nextToken) return out;
  }
  throw new Error(`more than ${MAX_PAGES} pages of Inspector findings for ${JSON.stringify(filterCriteria)}`);
};

/** The findings of every instance launched from an AMI (its test instance included). */
export const findingsOfAmi = (pipeline: LocalPipeline, amiId: string): Promise<StoryFinding[]> =>
  inspectorFindings(pipeline, { ec2InstanceImageId: [{ comparison: 'EQUALS', value: amiId }] });

/** `CVE-2024-38476 CRITICAL in httpd 2.4.58-1.amzn2023 (fixed in 2.4.62-1.amzn2023)`. */
export const describeFinding = (f: StoryFinding): string =>
  `${f.vulnerabilityId} ${f.severity} in ${f.packages
    // Inspector writes the fixed build with its epoch; epoch 0 is no epoch.
    .map((p) => `${p.name} ${p.installed} (fixed in ${p.fixedIn.replace(/^0:/, '')})`)
    .join(', ')}`;

/**
 * The findings that broke the family's gate: one per vulnerability, of a severity whose count is over its
 * limit, not waived, and fixable when the gate counts only fixable findings.
 */
export const gateBreakers = (
  findings: readonly StoryFinding[],
  image: Pick<Image, 'findings'>,
  gate: FamilyConfig['inspect']['gate'],
): StoryFinding[] => {
  const waived = new Set(gate.waivers.map((w) => w.id));
  const over = new Set(
    Object.entries(gate.maxFindings)
      .filter(([s, max]) => max !== undefined && (image.findings?.[s as keyof FindingsSummary] ?? 0) > max)
      .map(([s]) => s),
  );
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (!over.has(f.severity) || waived.has(f.vulnerabilityId) || seen.has(f.vulnerabilityId)) return false;
    if (gate.fixAvailableOnly && f.packages.every((p) => p.fixedIn === 'NotAvailable')) return false;
    seen.add(f.vulnerabilityId);
    return true;
  });
};

/** The gate's limits as the policy writes them: `maxFindings CRITICAL 0, HIGH 0`. */
export const gateRule = (gate: FamilyConfig['inspect']['gate'], severities?: readonly string[]): string =>
  `inspect.gate.maxFindings ${Object.entries(gate.maxFindings)
    .filter(([s, max]) => max !== undefined && (severities === undefined || severities.includes(s)))
    .map(([s, max]) => `${s} ${max}`)
    .join(', ')}${gate.fixAvailableOnly ? ' (fixable findings only)' : ''}`;

/** An image's copy in one region, as EC2 and SSM there have it. */
export interface RegionalCopy {
  region: string;
  amiId: string;
  encrypted: boolean;
  /** Accounts, organisations and OUs its launch permissions name. */
  sharedWith: string[];
  /** The SSM parameters that point to this copy in the region. */
  parameters: string[];
}

/** Each region's copy of a published image: encryption and sharing from EC2, parameters from SSM. */
export const regionalCopies = async (
  pipeline: LocalPipeline,
  image: Image,
  parameterNames: readonly string[],
): Promise<RegionalCopy[]> => {
  const copies: RegionalCopy[] = [];
  const home = pipeline.cloud.region;
  // The home region, where the image was built, first; its copies after it.
  const regions = Object.entries(image.amiIds).sort(([a], [b]) => Number(b === home) - Number(a === home));
  for (const [region, amiId] of regions) {
    const config = { ...pipeline.cloud.clientConfig, region };
    const ec2 = new EC2Client(config);
    const described = (await ec2.send(new DescribeImagesCommand({ ImageIds: [amiId] }))).Images?.[0];
    const permissions = await ec2.send(
      new DescribeImageAttributeCommand({ ImageId: amiId, Attribute: 'launchPermission' }),
    );
    const ssm = new SSMClient(config);
    const parameters: string[] = [];
    for (const name of parameterNames) {
      const value = await ssm
        .send(new GetParameterCommand({ Name: name }))
        .then((p) => p.Parameter?.Value)
        .catch(() => undefined);
      if (value === amiId) parameters.push(name);
    }
    copies.push({
      region,
      amiId,
      encrypted: (described?.BlockDeviceMappings ?? []).every((b) => b.Ebs?.Encrypted !== false),
      sharedWith: (permissions.LaunchPermissions ?? []).map(
        (p) => p.UserId ?? p.OrganizationArn ?? p.OrganizationalUnitArn ?? p.Group ?? '?',
      ),
      parameters,
    });
  }
  return copies;
};

/** The refresh service's decisions on a family, newest first. */
export const refreshDecisions = async (pipeline: LocalPipeline, family: string): Promise<RefreshDecision[]> =>
  (await pipeline.catalog.listRefreshDecisions(family, { limit: 100 })).items.sort((a, b) =>
    b.decidedAt.localeCompare(a.decidedAt),
  );

/** The family's stored config (the catalog's current version); an error when there is none. */
export const storedConfig = async (pipeline: LocalPipeline, family: string): Promise<FamilyConfig> => {
  const stored = await pipeline.catalog.getFamilyConfig(family);
  if (stored === undefined) throw new Error(`the catalog has no config for ${family}`);
  return stored.config as FamilyConfig;
};
