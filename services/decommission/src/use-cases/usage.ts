import type {
  Image,
  ImagePort,
  ImageUse,
  InventoryPort,
  ManagedImage,
  SharedUsagePort,
  StoredConfig,
  UsageFact,
} from '@ami-lifecycle/core';

/** An account the images may be shared with, and the role through which its usage is read. */
export interface UsageAccount {
  id: string;
  roleArn?: string | undefined;
  regions: readonly string[];
}

export interface UsageSources {
  /** The owner account (where the controller runs) in each region. */
  inventory: (region: string) => InventoryPort;
  /** Another account's usage through its role, in one region. */
  sharedUsage: (account: UsageAccount & { roleArn: string }, region: string) => SharedUsagePort;
  /** The owner account's images in each region, asked by id: whether an AMI the listing misses is gone. */
  images: (region: string) => Pick<ImagePort, 'describeImage'>;
}

/** A managed AMI the catalog does not know, or a catalog AMI that EC2 no longer has. */
export interface InventoryDrift {
  /** Managed AMIs in EC2 with no catalog image naming them: reported, never touched. */
  untracked: { region: string; imageId: string; name: string }[];
  /** Catalog images (not retired) whose AMI in a region is gone from EC2. */
  missing: { family: string; version: string; region: string; imageId: string }[];
}

export interface Inventory {
  facts: UsageFact[];
  /** Every managed AMI EC2 reported, by id: its snapshots (with sizes) and EC2's view of it. */
  amis: Map<string, ManagedImage & { region: string }>;
  drift: InventoryDrift;
  /** Images whose usage cannot be fully seen, with why: no fact is made for them, so they are kept. */
  unknown: { family: string; version: string; why: string }[];
}

const describeUse = (use: ImageUse): string =>
  use.kind === 'launch-template' && use.launchTemplateVersion !== undefined
    ? `${use.resource} version ${use.launchTemplateVersion}`
    : use.resource;

/**
 * Who could be using `image` without the owner account seeing it: the accounts its family shares with.
 * Accounts without a `roleArn`, and organization or OU sharing (whose accounts cannot be enumerated from
 * the policy), make its usage unknowable; `why` says so and the planner keeps it.
 */
export const sharedWith = (
  config: StoredConfig | undefined,
  accounts: ReadonlyMap<string, UsageAccount>,
): { accounts: UsageAccount[]; why?: string } => {
  if (config === undefined) return { accounts: [], why: 'its family has no stored config' };
  const sharing = config.publish.sharing;
  if (sharing.organization) {
    return {
      accounts: [],
      why: 'shared with the whole organization, whose accounts’ usage cannot all be seen',
    };
  }
  if (sharing.organizationalUnits.length > 0) {
    return {
      accounts: [],
      why: `shared with ${sharing.organizationalUnits.join(', ')}, whose accounts’ usage cannot all be seen`,
    };
  }
  const out: UsageAccount[] = [];
  for (const id of sharing.accounts) {
    const account = accounts.get(id);
    if (account?.roleArn === undefined) {
      return {
        accounts: [],
        why: `shared with account ${id}, which has no roleArn to read its usage through`,
      };
    }
    out.push(account);
  }
  return { accounts: out };
};

/**
 * The inventory of a sweep: EC2's managed AMIs in every region, the references the owner account sees
 * (`DescribeImageReferences`), and the instances and launch template versions of every account the
 * images are shared with, read through its role. One usage fact per AMI and account that looked; the
 * planner merges them (any in use wins). An image whose usage cannot be fully seen gets no fact for any
 * of its AMIs, so the planner keeps it as `usage-unknown`.
 */
export const gatherInventory = async (
  input: {
    images: readonly Image[];
    configs: ReadonlyMap<string, StoredConfig>;
    accounts: readonly UsageAccount[];
    /** Regions to read: the organisation's enabled regions. */
    regions: readonly string[];
    now: Date;
  },
  sources: UsageSources,
): Promise<Inventory> => {
  const accounts = new Map(input.accounts.map((a) => [a.id, a]));
  // Only the regions read: an image's copy elsewhere is another reading's business, not "missing" here.
  const read = new Set(input.regions);
  const amis = new Map<string, ManagedImage & { region: string }>();
  for (const region of input.regions) {
    for (const ami of await sources.inventory(region).listManagedImages())
      amis.set(ami.imageId, { ...ami, region });
  }

  const live = input.images.filter((i) => i.state !== 'retired');
  const tracked = new Set(live.flatMap((i) => Object.values(i.amiIds)));
  const drift: InventoryDrift = {
    untracked: [...amis.values()]
      .filter((a) => !tracked.has(a.imageId))
      .map((a) => ({ region: a.region, imageId: a.imageId, name: a.name })),
    missing: live.flatMap((i) =>
      Object.entries(i.amiIds)
        .filter(([region, amiId]) => read.has(region) && !amis.has(amiId))
        .map(([region, imageId]) => ({ family: i.family, version: i.version, region, imageId })),
    ),
  };

  // Which AMIs to ask about in which region, and which other accounts may use them.
  const byRegion = new Map<string, string[]>();
  const sharedBy = new Map<string, UsageAccount[]>();
  const unknown: Inventory['unknown'] = [];
  const knowable = new Set<string>();
  const gone = new Set<string>();
  for (const image of live) {
    const shared = sharedWith(input.configs.get(image.family), accounts);
    if (shared.why !== undefined && image.state !== 'rejected' && image.state !== 'failed') {
      // A rejected or failed image was never shared: its own account's view is the whole story.
      unknown.push({ family: image.family, version: image.version, why: shared.why });
      continue;
    }
    for (const [region, amiId] of Object.entries(image.amiIds)) {
      if (!read.has(region)) continue;
      if (!amis.has(amiId)) {
        // Gone from the listing. Only EC2's own "no such image", asked by id, makes it a fact: an AMI that
        // no longer exists is used by nothing (so a retirement a crash cut short can finish), whereas a
        // listing that merely missed it must not read as "unused".
        if ((await sources.images(region).describeImage(amiId)) === undefined) gone.add(amiId);
        continue;
      }
      knowable.add(amiId);
      const ids = byRegion.get(region);
      if (ids === undefined) byRegion.set(region, [amiId]);
      else ids.push(amiId);
      if (image.state !== 'rejected' && image.state !== 'failed') sharedBy.set(amiId, shared.accounts);
    }
  }

  const uses = new Map<string, ImageUse[]>();
  const add = (found: readonly ImageUse[]) => {
    for (const u of found) {
      const list = uses.get(u.imageId);
      if (list === undefined) uses.set(u.imageId, [u]);
      else list.push(u);
    }
  };
  for (const [region, ids] of byRegion) {
    // Each account once per region, asked about every AMI shared with it there.
    const perAccount = new Map<string, { account: UsageAccount & { roleArn: string }; ids: string[] }>();
    for (const id of ids) {
      for (const account of sharedBy.get(id) ?? []) {
        if (account.roleArn === undefined || !account.regions.includes(region)) continue;
        const entry = perAccount.get(account.id) ?? {
          account: { ...account, roleArn: account.roleArn },
          ids: [],
        };
        entry.ids.push(id);
        perAccount.set(account.id, entry);
      }
    }
    // The owner account and every account it shares with spend their own request tokens: asked at once,
    // the region takes as long as its slowest account instead of the sum of them all.
    const found = await Promise.all([
      sources.inventory(region).findImageReferences(ids),
      ...[...perAccount.values()].map(async ({ account, ids: shared }) => {
        const port = sources.sharedUsage(account, region);
        return [...(await port.findInstances(shared)), ...(await port.findLaunchTemplateVersions(shared))];
      }),
    ]);
    for (const list of found) add(list);
  }

  const at = input.now.toISOString();
  const facts: UsageFact[] = [...knowable].map((amiId) => {
    const found = uses.get(amiId) ?? [];
    const launched = amis.get(amiId)?.lastLaunchedTime;
    return {
      amiId,
      inUse: found.length > 0,
      references: found.map(describeUse).sort(),
      ...(found.length > 0 ? { lastSeenInUseAt: at } : {}),
      ...(launched === undefined ? {} : { lastLaunchedAt: launched }),
    };
  });
  for (const amiId of gone) facts.push({ amiId, inUse: false, references: [] });
  return { facts, amis, drift, unknown };
};
