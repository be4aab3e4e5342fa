import { DomainError, PermanentError } from '../errors';
import type { CatalogPort, StoredFamilyConfig } from '../ports/catalog';
import { familyConfigSchema } from './policy-schema';

/** A family's config as the services read it from the catalog: the stored document, parsed again, with its name. */
export type StoredConfig = ReturnType<typeof familyConfigSchema.parse> & { name: string };

/** A family named by a request or an image has no stored config. */
export class FamilyNotConfiguredError extends PermanentError {
  constructor(
    readonly family: string,
    options?: { cause?: unknown },
  ) {
    super(`family ${family} has no stored config; apply the policy first`, options);
  }
}

/**
 * A stored config that no longer parses: the data or this code's version is wrong, not the event that
 * needed it. Not permanent: an event waiting on it is retried (a deployment catching up with a newer
 * schema fixes it) and kept by the function's failure destination if nothing does.
 */
export class StoredConfigInvalidError extends DomainError {
  constructor(
    readonly subject: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(
      `${subject} is invalid:\n${issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`,
    );
  }
}

/** One stored config version, parsed again; refused with its paths when it no longer parses. */
export const parseStoredConfig = (
  family: string,
  stored: StoredFamilyConfig,
): { config: StoredConfig; version: number } => {
  const subject = `stored config of family ${family} (version ${stored.version})`;
  const parsed = familyConfigSchema.safeParse(stored.config);
  if (!parsed.success) {
    throw new StoredConfigInvalidError(
      subject,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  if (parsed.data.name !== undefined && parsed.data.name !== family) {
    throw new StoredConfigInvalidError(subject, [{ path: 'name', message: `must be ${family}` }]);
  }
  // Filled in from the policy's organization section when stored: without it, sharing with the organization
  // would share with no one and say nothing.
  const sharing = parsed.data.publish.sharing;
  if (sharing.organization && sharing.organizationArn === undefined) {
    throw new StoredConfigInvalidError(subject, [
      { path: 'publish.sharing.organizationArn', message: 'is required when sharing with the organization' },
    ]);
  }
  return { config: { ...parsed.data, name: family }, version: stored.version };
};

/** The family's current config (`FamilyNotConfiguredError` when there is none). */
export const loadFamilyConfig = async (
  catalog: Pick<CatalogPort, 'getFamilyConfig'>,
  family: string,
): Promise<{ config: StoredConfig; version: number }> => {
  const stored = await catalog.getFamilyConfig(family);
  if (stored === undefined) throw new FamilyNotConfiguredError(family);
  return parseStoredConfig(family, stored);
};
