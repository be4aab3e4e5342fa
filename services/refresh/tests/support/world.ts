import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryEventPublisher } from '@ami-lifecycle/aws/memory';
import { InMemoryCatalog } from '@ami-lifecycle/catalog';
import type { ImagePublishedDetail, ImageVulnerableDetail } from '@ami-lifecycle/contracts';
import {
  buildKey,
  type FamilyConfig,
  fixedClock,
  type Image,
  type ImageRef,
  type LifecycleState,
  parsePolicy,
} from '@ami-lifecycle/core';
import type { RefreshDeps } from '../../src';

const EXAMPLE = join(__dirname, '../../../../examples/ami-lifecycle.yaml');

export const HOME = 'eu-west-1';
export const START = '2026-03-01T10:00:00.000Z';
const DAY_MS = 86_400_000;

/** The example policy's families, parsed as `amictl config apply` stores them. */
export const exampleFamilies = (): Record<string, FamilyConfig> =>
  parsePolicy(readFileSync(EXAMPLE, 'utf8'), 'examples/ami-lifecycle.yaml').families;

export interface World {
  catalog: InMemoryCatalog;
  events: MemoryEventPublisher;
  clock: ReturnType<typeof fixedClock>;
  deps: RefreshDeps;
  families: Record<string, FamilyConfig>;
  advanceDays(days: number): void;
  /** Registers an image in `state`, its AMI `ami-<n>`; channels named are pointed at it (published only). */
  image(
    family: string,
    version: string,
    opts?: {
      state?: LifecycleState;
      parent?: Image;
      channels?: string[];
      vulnerable?: boolean;
      buildId?: string;
      /** Stored with the build key its family would give it (parent AMI or `sourceAmiId`). */
      keyed?: boolean;
      createdAt?: string;
      /** The one region its AMI is in; the home region unless said. */
      region?: string;
    },
  ): Promise<Image>;
  /** The `Image Published` the publish service emits for `image` (or a rollback's, with `key`). */
  published(image: Image, channels: string[], key?: string): ImagePublishedDetail;
  vulnerable(image: Image): ImageVulnerableDetail;
  /** Each `Build Requested` put on the bus so far, as the build service reads it. */
  requests(): { family: string; reason: string; idempotencyKey: string; parent?: string; force: boolean }[];
}

let amiCounter = 0;
const nextAmi = () => `ami-${(0x1000_0000 + ++amiCounter).toString(16).padStart(17, '0')}`;

/** The example's families stored (with overrides), an empty catalog, a quiet bus, the clock at START. */
export const createWorld = async (
  names: readonly string[] = ['golden-al2023', 'payments-api', 'orders-worker'],
  overrides: Record<string, FamilyConfig> = {},
  maxBuildsPerTrigger = 20,
): Promise<World> => {
  const clock = fixedClock(START);
  const catalog = new InMemoryCatalog();
  const families = { ...exampleFamilies(), ...overrides };
  for (const name of names) {
    await catalog.putFamilyConfig(name, families[name], { expectedCurrent: null, at: START, by: 'test' });
  }
  const events = new MemoryEventPublisher({ clock });
  const deps: RefreshDeps = { catalog, events, clock, region: HOME, maxBuildsPerTrigger };

  const image: World['image'] = async (family, version, opts = {}) => {
    const amiId = nextAmi();
    const at = opts.createdAt ?? clock.now().toISOString();
    const parent: ImageRef | undefined = opts.parent && {
      family: opts.parent.family,
      version: opts.parent.version,
      amiId: opts.parent.amiIds[HOME]!,
    };
    const sourceAmiId = parent?.amiId ?? 'ami-0a1b2c3d4e5f60718';
    const config = families[family]!;
    const img: Image = {
      family,
      version,
      state: opts.state ?? 'published',
      stateVersion: 0,
      amiIds: { [opts.region ?? HOME]: amiId },
      snapshotIds: [],
      ...(parent ? { parent } : {}),
      sourceAmiId,
      ...(opts.buildId ? { buildId: opts.buildId } : {}),
      ...(opts.keyed
        ? { buildKey: buildKey({ sourceAmiId, configVersion: 1, components: config.build.components }) }
        : {}),
      vulnerable: opts.vulnerable ?? false,
      managed: true,
      createdAt: at,
      stateChangedAt: at,
      ...(opts.state === undefined || opts.state === 'published' ? { publishedAt: at } : {}),
    };
    await catalog.createImage(img, { actor: 'test', reason: 'seed', correlationId: 'seed' });
    for (const channel of opts.channels ?? []) {
      const current = await catalog.getChannel(family, channel);
      await catalog.setChannel(family, channel, version, {
        expectedRevision: current?.revision ?? null,
        at,
        audit: { actor: 'test', reason: 'seed', correlationId: 'seed' },
      });
    }
    return img;
  };

  return {
    catalog,
    events,
    clock,
    deps,
    families,
    advanceDays: (days) => clock.advance(days * DAY_MS),
    image,
    published: (img, channels, key) => ({
      schemaVersion: 1,
      family: img.family,
      version: img.version,
      correlationId: `corr-${img.family}-${img.version}`,
      idempotencyKey: key ?? `image-published:${img.family}@${img.version}`,
      occurredAt: clock.now().toISOString(),
      imageId: img.amiIds[HOME]!,
      channels,
      regions: { [HOME]: img.amiIds[HOME]! },
      ssmParameters: channels.map((c) => `/ami-lifecycle/${img.family}/${c}`),
    }),
    vulnerable: (img) => ({
      schemaVersion: 1,
      family: img.family,
      version: img.version,
      correlationId: `corr-vuln-${img.version}`,
      idempotencyKey: `image-vulnerable:${img.family}@${img.version}`,
      occurredAt: clock.now().toISOString(),
      imageId: img.amiIds[HOME]!,
      findings: [
        {
          findingArn: 'arn:aws:inspector2:eu-west-1:111111111111:finding/0123456789abcdef',
          vulnerabilityId: 'CVE-2026-1234',
          severity: 'CRITICAL',
        },
      ],
      summary: { CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNTRIAGED: 0 },
    }),
    requests: () =>
      events.published('Build Requested').map(({ detail }) => ({
        family: detail.family,
        reason: detail.reason,
        idempotencyKey: detail.idempotencyKey,
        force: detail.force,
        ...(detail.parent ? { parent: `${detail.parent.family}@${detail.parent.version}` } : {}),
      })),
  };
};
