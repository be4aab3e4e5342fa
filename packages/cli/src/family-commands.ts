import {
  type CatalogPort,
  LIFECYCLE_STATES,
  type LifecycleState,
  parseStoredConfig,
} from '@ami-lifecycle/core';
import type { AmictlCommand } from './args';
import { allPages, json, minutes, table } from './output';

/** One family as `families list --json` prints it. */
export interface FamilyView {
  name: string;
  kind: 'golden' | 'application' | null;
  /** `family:channel` for an application; the source (`ssm:<name>`, `ami:<id>`, `name:<filter>`) for a golden one. */
  base: string | null;
  configVersion: number;
  storedAt: string;
  storedBy: string;
  /** The versions the family's channels point at, by channel. */
  channels: Record<string, string>;
  /** How many of its images are in each state (retired ones included). */
  images: Partial<Record<LifecycleState, number>>;
  /** Why the stored config does not parse, when it does not (the family is listed anyway). */
  configError: string | null;
}

const baseOf = (config: Record<string, unknown>): string | null => {
  const parent = config.parent as { family?: string; channel?: string } | undefined;
  if (parent?.family !== undefined) return `${parent.family}:${parent.channel ?? 'latest'}`;
  const source = config.source as { ssmParameter?: string; amiId?: string; nameFilter?: string } | undefined;
  if (source?.ssmParameter !== undefined) return `ssm:${source.ssmParameter}`;
  if (source?.amiId !== undefined) return `ami:${source.amiId}`;
  if (source?.nameFilter !== undefined) return `name:${source.nameFilter}`;
  return null;
};

/** `families list`: every family with a stored config, by name: kind, base, config version, channels, images. */
export const listFamilies = async (
  command: Extract<AmictlCommand, { command: 'families-list' }>,
  deps: { catalog: CatalogPort; out(line: string): void },
): Promise<void> => {
  const { catalog } = deps;
  const stored = await allPages('the families', (page) => catalog.listFamilyConfigs(page));
  const views = await Promise.all(
    stored.map(async (s): Promise<FamilyView> => {
      let kind: FamilyView['kind'] = null;
      let base: string | null = null;
      let configError: string | null = null;
      try {
        const { config } = parseStoredConfig(s.family, s);
        kind = config.kind;
        base = baseOf(config as unknown as Record<string, unknown>);
      } catch (error) {
        configError = (error as Error).message.split('\n').slice(0, 2).join(' ');
      }
      const [images, channels] = await Promise.all([
        allPages(`the images of ${s.family}`, (page) => catalog.listImagesByFamily(s.family, page)),
        catalog.listChannels(s.family),
      ]);
      const counts: Partial<Record<LifecycleState, number>> = {};
      for (const state of LIFECYCLE_STATES) {
        const n = images.filter((i) => i.state === state).length;
        if (n > 0) counts[state] = n;
      }
      return {
        name: s.family,
        kind,
        base,
        configVersion: s.version,
        storedAt: s.storedAt,
        storedBy: s.storedBy,
        channels: Object.fromEntries(channels.map((c) => [c.name, c.version])),
        images: counts,
        configError,
      };
    }),
  );
  views.sort((a, b) => a.name.localeCompare(b.name));
  if (command.json) {
    deps.out(json(views));
    return;
  }
  if (views.length === 0) {
    deps.out('No families: apply a policy first (amictl config apply FILE).');
    return;
  }
  for (const line of table(
    ['FAMILY', 'KIND', 'BASE', 'CONFIG', 'CHANNELS', 'IMAGES', 'STORED'],
    views.map((v) => [
      v.name,
      v.kind ?? 'unreadable',
      v.base ?? '-',
      `v${v.configVersion}`,
      Object.entries(v.channels)
        .map(([c, version]) => `${c}=${version}`)
        .join(',') || '-',
      Object.entries(v.images)
        .map(([state, n]) => `${state}:${n}`)
        .join(',') || '-',
      `${minutes(v.storedAt)} by ${v.storedBy}`,
    ]),
  )) {
    deps.out(line);
  }
};
