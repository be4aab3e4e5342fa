import {
  ChannelConflictError,
  ChannelTargetNotPublishedError,
  ConfigVersionConflictError,
  HoldAlreadyExistsError,
  HoldNotFoundError,
  ImageAlreadyExistsError,
  ImageNotFoundError,
  InvalidCursorError,
  inventoryPartToItems,
  PlanAlreadyExistsError,
  StaleImageError,
  TransitionConflictError,
} from '@ami-lifecycle/catalog';
import {
  type CatalogPort,
  IllegalTransitionError,
  type InventoryPart,
  type LifecycleState,
  ValidationError,
} from '@ami-lifecycle/core';
import {
  aHold,
  allPages,
  amiId,
  anImage,
  anOrgConfig,
  aPlan,
  aRequest,
  aSkip,
  at,
  auditBy,
  publishImage,
  T0,
} from './fixtures';

const F = 'golden-al2023';
const versionOf = (i: number) => `2025.03.${String(i).padStart(2, '0')}.1`;

/**
 * The behaviour every `CatalogPort` adapter must have. `makeCatalog` returns an empty catalog each time,
 * so every test starts from nothing.
 */
export const describeCatalogContract = (name: string, makeCatalog: () => Promise<CatalogPort>): void => {
  describe(`${name} (catalog contract)`, () => {
    let catalog: CatalogPort;
    beforeEach(async () => {
      catalog = await makeCatalog();
    });

    describe('family configs', () => {
      it('stores config versions and serves the current one', async () => {
        const v1 = await catalog.putFamilyConfig(
          F,
          { keepLatest: 3 },
          { expectedCurrent: null, at: at(0), by: 'alice' },
        );
        const v2 = await catalog.putFamilyConfig(
          F,
          { keepLatest: 5 },
          { expectedCurrent: 1, at: at(1), by: 'bob' },
        );

        expect(v1).toEqual({
          family: F,
          version: 1,
          config: { keepLatest: 3 },
          storedAt: at(0),
          storedBy: 'alice',
        });
        expect(v2.version).toBe(2);
        expect(await catalog.getFamilyConfig(F)).toEqual(v2);
        expect(await catalog.getFamilyConfig(F, 1)).toEqual(v1);
        expect(await catalog.getFamilyConfig(F, 3)).toBeUndefined();
        expect(await catalog.getFamilyConfig('payments-api')).toBeUndefined();
      });

      it('refuses an apply on a stale current version and stores nothing', async () => {
        await catalog.putFamilyConfig(F, { v: 1 }, { expectedCurrent: null, at: at(0), by: 'alice' });
        await catalog.putFamilyConfig(F, { v: 2 }, { expectedCurrent: 1, at: at(1), by: 'alice' });

        const stale = catalog.putFamilyConfig(
          F,
          { v: 'stale' },
          { expectedCurrent: 1, at: at(2), by: 'bob' },
        );
        const fresh = catalog.putFamilyConfig(
          F,
          { v: 'fresh' },
          { expectedCurrent: null, at: at(2), by: 'bob' },
        );

        await expect(stale).rejects.toMatchObject({
          name: 'ConfigVersionConflictError',
          expectedCurrent: 1,
          actualCurrent: 2,
        });
        await expect(fresh).rejects.toBeInstanceOf(ConfigVersionConflictError);
        expect((await catalog.getFamilyConfig(F))?.config).toEqual({ v: 2 });
        expect(await catalog.getFamilyConfig(F, 3)).toBeUndefined();
      });

      it('lets exactly one of two concurrent applies on the same version win', async () => {
        await catalog.putFamilyConfig(F, { v: 1 }, { expectedCurrent: null, at: at(0), by: 'alice' });

        const results = await Promise.allSettled([
          catalog.putFamilyConfig(F, { v: 'a' }, { expectedCurrent: 1, at: at(1), by: 'a' }),
          catalog.putFamilyConfig(F, { v: 'b' }, { expectedCurrent: 1, at: at(1), by: 'b' }),
        ]);

        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]?.reason).toBeInstanceOf(ConfigVersionConflictError);
        expect(await catalog.getFamilyConfig(F)).toEqual(won[0]?.value);
      });

      it('pages through config versions oldest first, version 10 after version 9', async () => {
        for (let v = 1; v <= 12; v += 1) {
          await catalog.putFamilyConfig(
            F,
            { v },
            { expectedCurrent: v === 1 ? null : v - 1, at: at(v), by: 'alice' },
          );
        }

        const pages = await allPages((page) => catalog.listFamilyConfigVersions(F, page), 5);

        expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
        expect(pages.flat().map((c) => c.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
      });

      it('lists every family once with its current config, in family-name order', async () => {
        const apply = async (family: string, versions: number) => {
          for (let v = 1; v <= versions; v += 1) {
            await catalog.putFamilyConfig(
              family,
              { family, v },
              { expectedCurrent: v === 1 ? null : v - 1, at: at(v), by: 'alice' },
            );
          }
        };
        await apply('payments-api', 1);
        await apply(F, 3);
        await apply('base-os', 2);

        const { items, cursor } = await catalog.listFamilyConfigs();

        expect(items.map((c) => [c.family, c.version])).toEqual([
          ['base-os', 2],
          [F, 3],
          ['payments-api', 1],
        ]);
        expect(items[1]).toEqual(await catalog.getFamilyConfig(F));
        expect(items[1]?.config).toEqual({ family: F, v: 3 });
        expect(cursor).toBeUndefined();
      });

      it('pages through the family list with a cursor only it accepts', async () => {
        for (const family of ['payments-api', F, 'base-os']) {
          await catalog.putFamilyConfig(
            family,
            { family },
            { expectedCurrent: null, at: at(0), by: 'alice' },
          );
        }
        await catalog.putFamilyConfig(F, { v: 2 }, { expectedCurrent: 1, at: at(1), by: 'alice' });

        const pages = await allPages((page) => catalog.listFamilyConfigs(page), 1);
        const { cursor } = await catalog.listFamilyConfigs({ limit: 1 });
        if (cursor === undefined) throw new Error('expected a cursor');

        expect(pages.map((p) => p.map((c) => c.family))).toEqual([['base-os'], [F], ['payments-api']]);
        expect(pages[1]?.[0]?.version).toBe(2);
        await expect(catalog.listFamilyConfigVersions(F, { cursor })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      });

      it('lists no family in an empty catalog', async () => {
        expect(await catalog.listFamilyConfigs()).toEqual({ items: [] });
      });
    });

    describe('organization config', () => {
      it('stores versions and serves the current one, apart from the families', async () => {
        const v1 = await catalog.putOrganizationConfig(anOrgConfig(), {
          expectedCurrent: null,
          at: at(0),
          by: 'alice',
        });
        const changed = anOrgConfig({
          sweep: {
            maxRetirementsPerRun: 10,
            maxInventoryAgeMinutes: 30,
            afterPolicyChange: 'dry-run',
            snapshotPricePerGiBMonth: {},
          },
        });
        const v2 = await catalog.putOrganizationConfig(changed, { expectedCurrent: 1, at: at(1), by: 'bob' });

        expect(v1).toEqual({ version: 1, config: anOrgConfig(), storedAt: at(0), storedBy: 'alice' });
        expect(v2).toEqual({ version: 2, config: changed, storedAt: at(1), storedBy: 'bob' });
        expect(await catalog.getOrganizationConfig()).toEqual(v2);
        expect(await catalog.getOrganizationConfig(1)).toEqual(v1);
        expect(await catalog.getOrganizationConfig(3)).toBeUndefined();
        expect(await catalog.listFamilyConfigs()).toEqual({ items: [] });
      });

      it('has no current version in an empty catalog', async () => {
        expect(await catalog.getOrganizationConfig()).toBeUndefined();
      });

      it('refuses an apply on a stale current version, naming the organization, and stores nothing', async () => {
        await catalog.putOrganizationConfig(anOrgConfig(), { expectedCurrent: null, at: at(0), by: 'alice' });
        const { organization: _, ...withoutOrganization } = anOrgConfig();
        await catalog.putOrganizationConfig(withoutOrganization, {
          expectedCurrent: 1,
          at: at(1),
          by: 'alice',
        });

        const stale = catalog.putOrganizationConfig(anOrgConfig(), {
          expectedCurrent: 1,
          at: at(2),
          by: 'bob',
        });
        const fresh = catalog.putOrganizationConfig(anOrgConfig(), {
          expectedCurrent: null,
          at: at(2),
          by: 'bob',
        });

        await expect(stale).rejects.toMatchObject({
          name: 'ConfigVersionConflictError',
          family: 'organization',
          expectedCurrent: 1,
          actualCurrent: 2,
          message: expect.stringContaining('config of the organization changed'),
        });
        await expect(fresh).rejects.toBeInstanceOf(ConfigVersionConflictError);
        expect((await catalog.getOrganizationConfig())?.version).toBe(2);
        expect((await catalog.getOrganizationConfig())?.config).not.toHaveProperty('organization');
        expect(await catalog.getOrganizationConfig(3)).toBeUndefined();
      });

      it('lets exactly one of two concurrent applies on the same version win', async () => {
        await catalog.putOrganizationConfig(anOrgConfig(), { expectedCurrent: null, at: at(0), by: 'alice' });

        const results = await Promise.allSettled(
          [10, 20].map((n) =>
            catalog.putOrganizationConfig(
              anOrgConfig({
                sweep: {
                  maxRetirementsPerRun: n,
                  maxInventoryAgeMinutes: 30,
                  afterPolicyChange: 'dry-run',
                  snapshotPricePerGiBMonth: {},
                },
              }),
              { expectedCurrent: 1, at: at(1), by: `by-${n}` },
            ),
          ),
        );

        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]?.reason).toBeInstanceOf(ConfigVersionConflictError);
        expect(await catalog.getOrganizationConfig()).toEqual(won[0]?.value);
      });

      it('refuses a config the readers could not parse and stores nothing', async () => {
        const broken = { ...anOrgConfig(), regions: { home: 'eu-west-1', enabled: ['us-east-1'] } };

        await expect(
          catalog.putOrganizationConfig(broken, { expectedCurrent: null, at: at(0), by: 'alice' }),
        ).rejects.toBeInstanceOf(ValidationError);
        expect(await catalog.getOrganizationConfig()).toBeUndefined();
      });
    });

    describe('images', () => {
      it('creates an image and reads back an equal copy', async () => {
        const image = anImage({ amiIds: { 'eu-west-1': amiId(1) }, snapshotIds: ['snap-1'], buildId: 'b-1' });

        await catalog.createImage(image, auditBy());

        expect(await catalog.getImage(image.family, image.version)).toEqual(image);
        expect(await catalog.getImage(image.family, '1999.01.01.1')).toBeUndefined();
      });

      it('refuses to create an image that already exists and keeps the first', async () => {
        const image = anImage({ buildId: 'first' });
        await catalog.createImage(image, auditBy());

        await expect(catalog.createImage({ ...image, buildId: 'second' }, auditBy())).rejects.toBeInstanceOf(
          ImageAlreadyExistsError,
        );
        expect((await catalog.getImage(image.family, image.version))?.buildId).toBe('first');
      });

      it('refuses an invalid image, naming the bad field', async () => {
        const bad = anImage({ amiIds: { 'eu-west-1': 'not-an-ami' } });

        const error = await catalog.createImage(bad, auditBy()).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues).toContainEqual(
          expect.objectContaining({ path: 'amiIds.eu-west-1' }),
        );
        expect(await catalog.getImage(bad.family, bad.version)).toBeUndefined();
      });

      it('hands out copies: changing them changes nothing stored', async () => {
        const image = anImage({ amiIds: { 'eu-west-1': amiId(1) } });
        await catalog.createImage(image, auditBy());
        image.amiIds['us-east-1'] = amiId(2);

        const read = await catalog.getImage(image.family, image.version);
        if (read === undefined) throw new Error('image missing');
        read.amiIds['ap-south-1'] = amiId(3);

        expect((await catalog.getImage(image.family, image.version))?.amiIds).toEqual({
          'eu-west-1': amiId(1),
        });
      });
    });

    describe('queries', () => {
      it("lists a family's images page by page, without gaps or repeats", async () => {
        for (let i = 1; i <= 7; i += 1)
          await catalog.createImage(anImage({ version: versionOf(i) }), auditBy());
        await catalog.createImage(anImage({ family: 'payments-api', version: versionOf(1) }), auditBy());

        const pages = await allPages((page) => catalog.listImagesByFamily(F, page), 3);

        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat().map((i) => i.version)).toEqual([1, 2, 3, 4, 5, 6, 7].map(versionOf));
      });

      it('ends a page that exactly fills the limit without a cursor', async () => {
        for (let i = 1; i <= 4; i += 1)
          await catalog.createImage(anImage({ version: versionOf(i) }), auditBy());

        const page = await catalog.listImagesByFamily(F, { limit: 4 });

        expect(page.items).toHaveLength(4);
        expect(page.cursor).toBeUndefined();
      });

      it('lists images by state page by page, and a transition moves an image between lists', async () => {
        for (let i = 1; i <= 5; i += 1) {
          await catalog.createImage(
            anImage({ version: versionOf(i), state: 'built', createdAt: at(i) }),
            auditBy(),
          );
        }
        await catalog.createImage(
          anImage({ family: 'payments-api', state: 'built', createdAt: at(0) }),
          auditBy(),
        );
        await catalog.transitionImage({
          family: F,
          version: versionOf(2),
          from: 'built',
          to: 'inspecting',
          expectedStateVersion: 0,
          at: at(10),
          audit: auditBy(),
        });

        const built = await allPages((page) => catalog.listImagesByState('built', page), 2);
        const inspecting = await catalog.listImagesByState('inspecting');

        expect(built.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(built.flat().map((i) => `${i.family}@${i.version}`)).toEqual([
          `${F}@${versionOf(1)}`,
          `${F}@${versionOf(3)}`,
          `${F}@${versionOf(4)}`,
          `${F}@${versionOf(5)}`,
          `payments-api@${anImage().version}`,
        ]);
        expect(inspecting.items.map((i) => i.version)).toEqual([versionOf(2)]);
        expect(inspecting.items[0]?.state).toBe('inspecting');
      });

      it('finds an image by the AMI id of each of its regions, including a copied region', async () => {
        await catalog.createImage(
          anImage({ state: 'approved', amiIds: { 'eu-west-1': amiId(1) } }),
          auditBy(),
        );
        await catalog.createImage(
          anImage({ version: versionOf(9), amiIds: { 'eu-west-1': amiId(9) } }),
          auditBy(),
        );
        const published = await catalog.transitionImage({
          family: F,
          version: anImage().version,
          from: 'approved',
          to: 'published',
          expectedStateVersion: 0,
          at: at(5),
          audit: auditBy(),
          patch: { amiIds: { 'us-east-1': amiId(2) }, publishedAt: at(5) },
        });

        expect(published.amiIds).toEqual({ 'eu-west-1': amiId(1), 'us-east-1': amiId(2) });
        expect(await catalog.findImagesByAmiId(amiId(1))).toEqual([published]);
        expect(await catalog.findImagesByAmiId(amiId(2))).toEqual([published]);
        expect(await catalog.findImagesByAmiId(amiId(3))).toEqual([]);
      });

      it('lists images by region page by page, copies included', async () => {
        for (let i = 1; i <= 5; i += 1) {
          await catalog.createImage(
            anImage({
              version: versionOf(i),
              state: 'approved',
              createdAt: at(i),
              amiIds: { 'eu-west-1': amiId(i) },
            }),
            auditBy(),
          );
        }
        for (const i of [2, 3, 5]) {
          await catalog.updateImage(
            F,
            versionOf(i),
            0,
            { amiIds: { 'us-east-1': amiId(100 + i) } },
            {
              ...auditBy(),
              at: at(10),
              action: 'copy',
            },
          );
        }

        const home = await allPages((page) => catalog.listImagesByRegion('eu-west-1', page), 2);
        const copies = await allPages((page) => catalog.listImagesByRegion('us-east-1', page), 2);

        expect(home.flat().map((i) => i.version)).toEqual([1, 2, 3, 4, 5].map(versionOf));
        expect(copies.map((p) => p.length)).toEqual([2, 1]);
        expect(copies.flat().map((i) => i.version)).toEqual([2, 3, 5].map(versionOf));
        expect(copies.flat()[0]?.amiIds).toEqual({ 'eu-west-1': amiId(2), 'us-east-1': amiId(102) });
        expect((await catalog.listImagesByRegion('ap-south-1')).items).toEqual([]);
      });

      it('rejects a cursor it did not hand out for that query', async () => {
        for (let i = 1; i <= 3; i += 1)
          await catalog.createImage(anImage({ version: versionOf(i) }), auditBy());
        const { cursor } = await catalog.listImagesByFamily(F, { limit: 1 });
        if (cursor === undefined) throw new Error('expected a cursor');
        const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const garbage = [
          'not a cursor!',
          Buffer.from('plain text').toString('base64url'),
          encode([1, 2]),
          encode({ PK: `FAMILY#${F}` }),
          encode({ PK: `FAMILY#${F}`, SK: 'CHANNEL#latest' }),
        ];

        for (const bad of garbage) {
          await expect(catalog.listImagesByFamily(F, { cursor: bad })).rejects.toBeInstanceOf(
            InvalidCursorError,
          );
        }
        await expect(catalog.listImagesByFamily('payments-api', { cursor })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
        await expect(catalog.listAudit(F, versionOf(1), { cursor })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
        await expect(catalog.listImagesByState('building', { cursor })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
        expect((await catalog.listImagesByFamily(F, { cursor })).items.map((i) => i.version)).toEqual([
          versionOf(2),
          versionOf(3),
        ]);
      });

      it('refuses a page size out of bounds', async () => {
        await expect(catalog.listImagesByFamily(F, { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
        await expect(catalog.listImagesByFamily(F, { limit: 101 })).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('transitions', () => {
      const inspecting = () => anImage({ state: 'inspecting', amiIds: { 'eu-west-1': amiId(1) } });

      it('writes the new state, the patch and one audit record on a legal transition', async () => {
        await catalog.createImage(inspecting(), auditBy('builder', 'image built'));

        const approved = await catalog.transitionImage({
          family: F,
          version: inspecting().version,
          from: 'inspecting',
          to: 'approved',
          expectedStateVersion: 0,
          at: at(30),
          audit: { actor: 'gate', reason: 'the gate passed', correlationId: 'c-42', policyVersion: 3 },
          patch: { verdict: 'pass', approver: 'gate' },
        });

        expect(approved).toEqual({
          ...inspecting(),
          state: 'approved',
          stateVersion: 1,
          stateChangedAt: at(30),
          verdict: 'pass',
          approver: 'gate',
        });
        expect(await catalog.getImage(F, approved.version)).toEqual(approved);
        const audit = await catalog.listAudit(F, approved.version);
        expect(audit.items).toEqual([
          {
            family: F,
            version: approved.version,
            at: T0,
            seq: 0,
            action: 'create',
            to: 'inspecting',
            actor: 'builder',
            reason: 'image built',
            correlationId: 'corr-builder',
          },
          {
            family: F,
            version: approved.version,
            at: at(30),
            seq: 1,
            action: 'transition',
            from: 'inspecting',
            to: 'approved',
            actor: 'gate',
            reason: 'the gate passed',
            policyVersion: 3,
            correlationId: 'c-42',
          },
        ]);
      });

      it('throws IllegalTransitionError on an illegal transition and writes nothing', async () => {
        await catalog.createImage(inspecting(), auditBy());

        await expect(
          catalog.transitionImage({
            family: F,
            version: inspecting().version,
            from: 'inspecting',
            to: 'published',
            expectedStateVersion: 0,
            at: at(1),
            audit: auditBy(),
          }),
        ).rejects.toBeInstanceOf(IllegalTransitionError);
        expect(await catalog.getImage(F, inspecting().version)).toEqual(inspecting());
        expect((await catalog.listAudit(F, inspecting().version)).items).toHaveLength(1);
      });

      it('throws TransitionConflictError on a stale stateVersion and writes nothing', async () => {
        await catalog.createImage(inspecting(), auditBy());
        await catalog.updateImage(
          F,
          inspecting().version,
          0,
          { vulnerable: true },
          { ...auditBy(), at: at(1), action: 'flag' },
        );

        const error = await catalog
          .transitionImage({
            family: F,
            version: inspecting().version,
            from: 'inspecting',
            to: 'approved',
            expectedStateVersion: 0,
            at: at(2),
            audit: auditBy(),
          })
          .catch((e: unknown) => e);

        expect(error).toBeInstanceOf(TransitionConflictError);
        expect(error).toBeInstanceOf(StaleImageError);
        expect(error).toMatchObject({
          from: 'inspecting',
          to: 'approved',
          expected: { state: 'inspecting', stateVersion: 0 },
          actual: { state: 'inspecting', stateVersion: 1 },
        });
        expect((await catalog.getImage(F, inspecting().version))?.state).toBe('inspecting');
        expect((await catalog.listAudit(F, inspecting().version)).items).toHaveLength(2);
      });

      it('throws TransitionConflictError when the image is no longer in the from state', async () => {
        await catalog.createImage(anImage({ state: 'rejected' }), auditBy());

        await expect(
          catalog.transitionImage({
            family: F,
            version: anImage().version,
            from: 'approved',
            to: 'published',
            expectedStateVersion: 0,
            at: at(1),
            audit: auditBy(),
          }),
        ).rejects.toMatchObject({
          name: 'TransitionConflictError',
          actual: { state: 'rejected', stateVersion: 0 },
        });
      });

      it('throws ImageNotFoundError for an image that does not exist', async () => {
        await expect(
          catalog.transitionImage({
            family: F,
            version: 'nope',
            from: 'building',
            to: 'built',
            expectedStateVersion: 0,
            at: at(1),
            audit: auditBy(),
          }),
        ).rejects.toBeInstanceOf(ImageNotFoundError);
        expect((await catalog.listAudit(F, 'nope')).items).toEqual([]);
      });

      it('updates fields that are not state under the lock, and audits the update', async () => {
        await catalog.createImage(anImage({ state: 'published' }), auditBy());

        const flagged = await catalog.updateImage(
          F,
          anImage().version,
          0,
          { vulnerable: true },
          {
            ...auditBy('inspector', 'CVE-2025-0001 is critical'),
            at: at(3),
            action: 'mark-vulnerable',
          },
        );
        const stale = catalog.updateImage(
          F,
          anImage().version,
          0,
          { vulnerable: false },
          {
            ...auditBy(),
            at: at(4),
            action: 'clear-vulnerable',
          },
        );

        expect(flagged).toMatchObject({
          state: 'published',
          stateVersion: 1,
          vulnerable: true,
          stateChangedAt: T0,
        });
        await expect(stale).rejects.toMatchObject({
          name: 'StaleImageError',
          expected: { stateVersion: 0 },
          actual: { state: 'published', stateVersion: 1 },
        });
        expect(await catalog.getImage(F, anImage().version)).toEqual(flagged);
        expect((await catalog.listAudit(F, anImage().version)).items.map((r) => [r.action, r.seq])).toEqual([
          ['create', 0],
          ['mark-vulnerable', 1],
        ]);
      });

      it('refuses a patch of the state or the identity of an image', async () => {
        await catalog.createImage(anImage({ state: 'published' }), auditBy());

        await expect(
          catalog.updateImage(
            F,
            anImage().version,
            0,
            { createdAt: at(9) },
            { ...auditBy(), at: at(9), action: 'x' },
          ),
        ).rejects.toBeInstanceOf(ValidationError);
        expect((await catalog.getImage(F, anImage().version))?.stateVersion).toBe(0);
      });

      it('lets exactly one of two concurrent updates of one image win, 20 times over', async () => {
        for (let round = 0; round < 20; round += 1) {
          const version = `2025.05.${String(round).padStart(2, '0')}.1`;
          await catalog.createImage(anImage({ version, state: 'published' }), auditBy());
          // Two writers at different times: their audit records would not collide on their own.
          const update = (vulnerable: boolean, actor: string) =>
            catalog.updateImage(
              F,
              version,
              0,
              { vulnerable },
              { ...auditBy(actor), at: at(actor === 'first' ? round : round + 30), action: actor },
            );

          const results = await Promise.allSettled([update(true, 'first'), update(false, 'second')]);

          const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(lost[0]).toMatchObject({ name: 'StaleImageError', actual: { stateVersion: 1 } });
          expect(await catalog.getImage(F, version)).toEqual(won[0]);
          const audit = await catalog.listAudit(F, version);
          expect(audit.items.map((r) => r.seq)).toEqual([0, 1]);
        }
      });

      it('lets exactly one of two concurrent transitions of one image win, 20 times over', async () => {
        const races: [LifecycleState, LifecycleState, LifecycleState][] = [
          ['published', 'deprecated', 'deprecated'],
          ['inspecting', 'approved', 'rejected'],
        ];
        for (let round = 0; round < 20; round += 1) {
          const [from, a, b] = races[round % races.length] as [
            LifecycleState,
            LifecycleState,
            LifecycleState,
          ];
          const version = `2025.04.${String(round).padStart(2, '0')}.1`;
          await catalog.createImage(anImage({ version, state: from }), auditBy());
          const transition = (to: LifecycleState, actor: string) =>
            catalog.transitionImage({
              family: F,
              version,
              from,
              to,
              expectedStateVersion: 0,
              at: at(round),
              audit: auditBy(actor),
            });

          const results = await Promise.allSettled([transition(a, 'first'), transition(b, 'second')]);

          const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
          const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
          expect(won).toHaveLength(1);
          expect(lost).toHaveLength(1);
          expect(lost[0]).toBeInstanceOf(TransitionConflictError);
          expect(lost[0]).toMatchObject({ actual: { state: won[0]?.state, stateVersion: 1 } });
          expect(await catalog.getImage(F, version)).toEqual(won[0]);
          const audit = await catalog.listAudit(F, version);
          expect(audit.items.map((r) => r.action)).toEqual(['create', 'transition']);
          expect(audit.items[1]?.to).toBe(won[0]?.state);
        }
      });
    });

    describe('channels', () => {
      it('moves channels on publish, keeps their history, and rolls back with setChannel', async () => {
        const v1 = await publishImage(catalog, F, versionOf(1), {
          when: at(1),
          channels: ['latest', 'stable'],
        });
        await publishImage(catalog, F, versionOf(2), { when: at(2), channels: ['latest', 'stable'] });

        const rolledBack = await catalog.setChannel(F, 'stable', v1.version, {
          expectedRevision: 2,
          at: at(3),
          audit: auditBy('oncall', 'v2 breaks payments'),
        });

        expect(rolledBack).toEqual({
          family: F,
          name: 'stable',
          version: versionOf(1),
          updatedAt: at(3),
          updatedBy: 'oncall',
          revision: 3,
        });
        expect(await catalog.listChannels(F)).toEqual([
          {
            family: F,
            name: 'latest',
            version: versionOf(2),
            updatedAt: at(2),
            updatedBy: 'publisher',
            revision: 2,
          },
          rolledBack,
        ]);
        const history = await allPages((page) => catalog.channelHistory(F, 'stable', page), 2);
        expect(history.map((p) => p.length)).toEqual([2, 1]);
        expect(history.flat().map((c) => [c.revision, c.version])).toEqual([
          [3, versionOf(1)],
          [2, versionOf(2)],
          [1, versionOf(1)],
        ]);
        const audit = (await catalog.listAudit(F, versionOf(1))).items;
        expect(audit.map((r) => r.action)).toEqual([
          'create',
          'transition',
          'set-channel:latest',
          'set-channel:stable',
          'set-channel:stable',
        ]);
        expect(audit.at(-1)).toMatchObject({ actor: 'oncall', reason: 'v2 breaks payments', at: at(3) });
      });

      it('refuses to point a channel at an image that is not published, and writes nothing', async () => {
        await publishImage(catalog, F, versionOf(1), { when: at(1), channels: ['stable'] });
        await catalog.createImage(anImage({ version: versionOf(2), state: 'approved' }), auditBy());
        const move = (version: string) =>
          catalog.setChannel(F, 'stable', version, { expectedRevision: 1, at: at(2), audit: auditBy() });

        await expect(move(versionOf(2))).rejects.toMatchObject({
          name: 'ChannelTargetNotPublishedError',
          actualState: 'approved',
        });
        await expect(move(versionOf(3))).rejects.toMatchObject({
          name: 'ChannelTargetNotPublishedError',
          actualState: undefined,
        });
        expect((await catalog.getChannel(F, 'stable'))?.version).toBe(versionOf(1));
        expect((await catalog.channelHistory(F, 'stable')).items).toHaveLength(1);
        expect((await catalog.listAudit(F, versionOf(2))).items).toHaveLength(1);
      });

      it('refuses to move channels with a transition that does not publish', async () => {
        await catalog.createImage(anImage({ state: 'inspecting' }), auditBy());

        await expect(
          catalog.transitionImage({
            family: F,
            version: anImage().version,
            from: 'inspecting',
            to: 'approved',
            expectedStateVersion: 0,
            at: at(1),
            audit: auditBy(),
            moveChannels: ['latest'],
          }),
        ).rejects.toBeInstanceOf(ChannelTargetNotPublishedError);
        expect((await catalog.getImage(F, anImage().version))?.state).toBe('inspecting');
        expect(await catalog.getChannel(F, 'latest')).toBeUndefined();
      });

      it('refuses a channel move on a stale revision', async () => {
        await publishImage(catalog, F, versionOf(1), { when: at(1), channels: ['stable'] });
        await publishImage(catalog, F, versionOf(2), { when: at(2), channels: ['stable'] });

        await expect(
          catalog.setChannel(F, 'stable', versionOf(1), { expectedRevision: 1, at: at(3), audit: auditBy() }),
        ).rejects.toMatchObject({ name: 'ChannelConflictError', expectedRevision: 1, actualRevision: 2 });
        await expect(
          catalog.setChannel(F, 'beta', versionOf(1), { expectedRevision: 1, at: at(3), audit: auditBy() }),
        ).rejects.toBeInstanceOf(ChannelConflictError);
        expect((await catalog.getChannel(F, 'stable'))?.version).toBe(versionOf(2));
      });
    });

    describe('holds', () => {
      it('puts, gets, lists by exact target, and releases holds', async () => {
        const onFamily = aHold('h-family', { kind: 'family', family: F });
        const onV1 = aHold(
          'h-v1',
          { kind: 'image', family: F, version: versionOf(1) },
          { expiresAt: at(600) },
        );
        const onV2 = aHold('h-v2', { kind: 'image', family: F, version: versionOf(2) });
        for (const hold of [onFamily, onV1, onV2]) await catalog.putHold(hold);

        expect(await catalog.getHold('h-v1')).toEqual(onV1);
        expect(await catalog.listHoldsForTarget({ kind: 'image', family: F, version: versionOf(1) })).toEqual(
          [onV1],
        );
        expect(await catalog.listHoldsForTarget({ kind: 'family', family: F })).toEqual([onFamily]);

        const released = await catalog.releaseHold('h-v1', at(60), 'legal@example.com');
        const again = await catalog.releaseHold('h-v1', at(61), 'someone-else');

        expect(released).toEqual({ ...onV1, releasedAt: at(60) });
        expect(again).toEqual(released);
        expect(await catalog.getHold('h-v1')).toEqual(released);
        expect(await catalog.listHoldsForTarget({ kind: 'image', family: F, version: versionOf(1) })).toEqual(
          [],
        );
        expect(await catalog.listHoldsForTarget({ kind: 'image', family: F, version: versionOf(2) })).toEqual(
          [onV2],
        );
      });

      it('refuses a second hold with the same id and the release of an unknown hold', async () => {
        await catalog.putHold(aHold('h-1', { kind: 'family', family: F }));

        await expect(
          catalog.putHold(aHold('h-1', { kind: 'family', family: 'payments-api' })),
        ).rejects.toBeInstanceOf(HoldAlreadyExistsError);
        await expect(catalog.releaseHold('h-unknown', at(1), 'x')).rejects.toBeInstanceOf(HoldNotFoundError);
        expect(await catalog.getHold('h-unknown')).toBeUndefined();
        expect((await catalog.getHold('h-1'))?.target).toEqual({ kind: 'family', family: F });
      });

      it('lists every hold in force across families, oldest first, expired ones included, released ones not', async () => {
        const holds = [
          aHold('h-b', { kind: 'family', family: 'payments-api' }, { createdAt: at(2) }),
          aHold('h-a', { kind: 'image', family: F, version: versionOf(1) }, { createdAt: at(2) }),
          // Written with an offset: ordered by the time it names, not by its text.
          aHold('h-early', { kind: 'family', family: F }, { createdAt: '2025-03-01T13:59:00+02:00' }),
          aHold('h-expired', { kind: 'family', family: 'base-os' }, { createdAt: at(3), expiresAt: at(4) }),
          aHold('h-released', { kind: 'family', family: F }, { createdAt: at(0) }),
        ];
        for (const hold of holds) await catalog.putHold(hold);
        await catalog.releaseHold('h-released', at(5), 'legal@example.com');

        const { items, cursor } = await catalog.listActiveHolds();

        expect(items.map((h) => h.id)).toEqual(['h-early', 'h-a', 'h-b', 'h-expired']);
        expect(items[3]).toEqual(holds[3]);
        expect(cursor).toBeUndefined();
      });

      it('pages through the active holds with a cursor only it accepts', async () => {
        for (let i = 1; i <= 5; i += 1) {
          await catalog.putHold(aHold(`h-${i}`, { kind: 'family', family: F }, { createdAt: at(i) }));
        }
        await catalog.releaseHold('h-2', at(10), 'legal@example.com');

        const pages = await allPages((page) => catalog.listActiveHolds(page), 2);
        const { cursor } = await catalog.listActiveHolds({ limit: 1 });
        if (cursor === undefined) throw new Error('expected a cursor');

        expect(pages.map((p) => p.map((h) => h.id))).toEqual([
          ['h-1', 'h-3'],
          ['h-4', 'h-5'],
        ]);
        await expect(catalog.listFamilyConfigs({ cursor })).rejects.toBeInstanceOf(InvalidCursorError);
        expect(await catalog.listActiveHolds({ cursor })).toEqual({
          items: (await catalog.listActiveHolds()).items.slice(1),
        });
      });

      it('lists no active hold in an empty catalog', async () => {
        expect(await catalog.listActiveHolds()).toEqual({ items: [] });
      });
    });

    describe('refresh decisions', () => {
      const TRIGGER = 'parent-published:base-os@2025.03.01.1';

      it('writes the first decision for a family and trigger, and reads it back by key', async () => {
        const skip = aSkip(TRIGGER);

        const recorded = await catalog.recordRefreshDecision(skip);

        expect(recorded).toEqual({ decision: skip, written: true });
        expect(await catalog.getRefreshDecision(F, TRIGGER)).toEqual(skip);
        expect(await catalog.getRefreshDecision(F, 'vulnerable:base-os@2025.03.01.1')).toBeUndefined();
        expect(await catalog.getRefreshDecision('payments-api', TRIGGER)).toBeUndefined();
      });

      it('keeps the first skip when the same trigger is skipped again', async () => {
        const first = aSkip(TRIGGER, { skip: 'fan-out-cap', reason: 'first', decidedAt: at(1) });
        await catalog.recordRefreshDecision(first);

        const again = await catalog.recordRefreshDecision(
          aSkip(TRIGGER, { skip: 'policy-off', reason: 'second', decidedAt: at(2) }),
        );

        expect(again).toEqual({ decision: first, written: false });
        expect(await catalog.getRefreshDecision(F, TRIGGER)).toEqual(first);
        expect((await catalog.listRefreshDecisions(F)).items).toEqual([first]);
      });

      it('replaces a skip with a request, which then lists at its own time', async () => {
        await catalog.recordRefreshDecision(aSkip(TRIGGER, { decidedAt: at(1) }));
        const other = aSkip('stale-base:2025-03-01', { trigger: 'stale-base', decidedAt: at(2) });
        await catalog.recordRefreshDecision(other);
        const request = aRequest(TRIGGER, { decidedAt: at(3) });

        const recorded = await catalog.recordRefreshDecision(request);

        expect(recorded).toEqual({ decision: request, written: true });
        expect(await catalog.getRefreshDecision(F, TRIGGER)).toEqual(request);
        expect((await catalog.listRefreshDecisions(F)).items).toEqual([request, other]);
      });

      it('keeps a request when the same trigger is later skipped', async () => {
        const request = aRequest(TRIGGER, { decidedAt: at(1) });
        await catalog.recordRefreshDecision(request);

        const skipped = await catalog.recordRefreshDecision(
          aSkip(TRIGGER, { skip: 'already-rebuilding', decidedAt: at(2) }),
        );

        expect(skipped).toEqual({ decision: request, written: false });
        expect(await catalog.getRefreshDecision(F, TRIGGER)).toEqual(request);
      });

      it('keeps the first request against a different request for the same trigger', async () => {
        const first = aRequest(TRIGGER, { decidedAt: at(1) }, 'rebuild-1');
        await catalog.recordRefreshDecision(first);

        const second = await catalog.recordRefreshDecision(
          aRequest(TRIGGER, { decidedAt: at(2) }, 'rebuild-2'),
        );

        expect(second).toEqual({ decision: first, written: false });
        expect((await catalog.getRefreshDecision(F, TRIGGER))?.request?.idempotencyKey).toBe('rebuild-1');
      });

      it('lets exactly one of two concurrent requests replace a skip', async () => {
        await catalog.recordRefreshDecision(aSkip(TRIGGER, { decidedAt: at(1) }));

        const results = await Promise.all([
          catalog.recordRefreshDecision(aRequest(TRIGGER, { decidedAt: at(2) }, 'rebuild-a')),
          catalog.recordRefreshDecision(aRequest(TRIGGER, { decidedAt: at(2) }, 'rebuild-b')),
        ]);

        expect(results.map((r) => r.written).sort()).toEqual([false, true]);
        const stored = await catalog.getRefreshDecision(F, TRIGGER);
        expect(results.map((r) => r.decision)).toEqual([stored, stored]);
        expect(stored?.outcome).toBe('requested');
      });

      it("lists a family's decisions newest first, page by page, and no other family's", async () => {
        const decided = [
          aSkip('parent-published:base-os@1', { decidedAt: at(10) }),
          aRequest('parent-published:base-os@3', { decidedAt: at(30) }),
          aSkip('vulnerable:golden-al2023@2025.03.01.1', { trigger: 'vulnerable', decidedAt: at(20) }),
          // 12:45Z written with an offset: it sorts by time, between at(30) and at(60).
          aSkip('stale-base:2025-03-01', { trigger: 'stale-base', decidedAt: '2025-03-01T14:45:00+02:00' }),
          aSkip('parent-published:base-os@4', { decidedAt: at(60) }),
        ];
        for (const decision of decided) await catalog.recordRefreshDecision(decision);
        await catalog.recordRefreshDecision(aSkip('parent-published:base-os@9', { family: 'payments-api' }));

        const pages = await allPages((page) => catalog.listRefreshDecisions(F, page), 2);
        const { cursor } = await catalog.listRefreshDecisions(F, { limit: 2 });
        if (cursor === undefined) throw new Error('expected a cursor');

        expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
        expect(pages.flat().map((d) => d.triggerKey)).toEqual([
          'parent-published:base-os@4',
          'stale-base:2025-03-01',
          'parent-published:base-os@3',
          'vulnerable:golden-al2023@2025.03.01.1',
          'parent-published:base-os@1',
        ]);
        expect(pages.flat()).toContainEqual(decided[1]);
        expect((await catalog.listRefreshDecisions('payments-api')).items).toHaveLength(1);
        expect(await catalog.listRefreshDecisions('base-os')).toEqual({ items: [] });
        await expect(catalog.listRefreshDecisions('payments-api', { cursor })).rejects.toBeInstanceOf(
          InvalidCursorError,
        );
      });

      it('refuses a malformed decision and stores nothing', async () => {
        const { request: _request, ...withoutRequest } = aRequest(TRIGGER);
        const malformed = [
          withoutRequest,
          { ...aSkip(TRIGGER), request: { idempotencyKey: 'k', force: false } },
          aSkip('parent-published:base-os#1'),
          aSkip(TRIGGER, { decidedAt: 'yesterday' }),
        ];

        const errors = await Promise.all(
          malformed.map((d) => catalog.recordRefreshDecision(d).catch((e: unknown) => e)),
        );

        for (const error of errors) expect(error).toBeInstanceOf(ValidationError);
        expect((errors[0] as ValidationError).issues).toContainEqual(
          expect.objectContaining({ path: 'request' }),
        );
        expect((errors[2] as ValidationError).issues).toContainEqual(
          expect.objectContaining({ path: 'triggerKey' }),
        );
        expect(await catalog.getRefreshDecision(F, TRIGGER)).toBeUndefined();
        expect(await catalog.listRefreshDecisions(F)).toEqual({ items: [] });
      });
    });

    describe('retention plans', () => {
      it('saves a plan of more than 25 decisions and reads it back unchanged', async () => {
        const plan = aPlan('sweep-big', at(0), 60);

        await catalog.savePlan(plan);

        expect(await catalog.getPlan('sweep-big')).toEqual(plan);
        expect(await catalog.getPlan('sweep-none')).toBeUndefined();
      });

      it('lists plans newest first, page by page', async () => {
        for (const [sweepId, minutes] of [
          ['sweep-b', 20],
          ['sweep-d', 40],
          ['sweep-a', 10],
          ['sweep-c', 30],
        ] as const) {
          await catalog.savePlan(aPlan(sweepId, at(minutes), 3));
        }

        const pages = await allPages((page) => catalog.listPlans(page), 3);

        expect(pages.map((p) => p.length)).toEqual([3, 1]);
        expect(pages.flat().map((p) => p.sweepId)).toEqual(['sweep-d', 'sweep-c', 'sweep-b', 'sweep-a']);
        const { sweepId, generatedAt, guard, summary } = aPlan('sweep-d', at(40), 3);
        expect(pages[0]?.[0]).toEqual({ sweepId, generatedAt, guard, summary });
      });

      it('saves a sweep once', async () => {
        await catalog.savePlan(aPlan('sweep-1', at(0), 2));

        await expect(catalog.savePlan(aPlan('sweep-1', at(5), 4))).rejects.toBeInstanceOf(
          PlanAlreadyExistsError,
        );
        expect((await catalog.getPlan('sweep-1'))?.decisions).toHaveLength(2);
      });

      it('refuses a plan with an action on an image it did not decide on', async () => {
        const plan = aPlan('sweep-x', at(0), 2);
        const [decided] = plan.decisions;
        if (decided === undefined) throw new Error('the fixture has decisions');
        const orphan = { ...plan, actions: [{ ...decided, version: 'other' }] };

        const error = await catalog.savePlan(orphan).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).issues).toEqual([
          { path: 'actions.0', message: `${F}@other has no decision` },
        ]);
        expect(await catalog.getPlan('sweep-x')).toBeUndefined();
      });
    });

    describe('batch outcomes', () => {
      const outcome = (done: number, failed = 0) => ({
        done,
        skipped: 0,
        failed,
        problems: failed > 0 ? [`${F}@1 retire failed: RequestLimitExceeded`] : [],
        freed: [{ family: F, region: 'eu-west-1', gib: 8 }],
        byFamily: [{ family: F, done, skipped: 0, failed }],
      });

      it('keeps one outcome per batch, a retried batch’s replacing its earlier one, listed by batch', async () => {
        await catalog.saveBatchOutcome('sweep-1', 11, outcome(20));
        await catalog.saveBatchOutcome('sweep-1', 2, outcome(19, 1));
        await catalog.saveBatchOutcome('sweep-1', 2, outcome(20));
        await catalog.saveBatchOutcome('sweep-2', 0, outcome(1));

        expect(await catalog.listBatchOutcomes('sweep-1')).toEqual([
          { batch: 2, outcome: outcome(20) },
          { batch: 11, outcome: outcome(20) },
        ]);
        expect(await catalog.listBatchOutcomes('sweep-none')).toEqual([]);
      });

      it('refuses an outcome that does not match its schema, storing nothing', async () => {
        const bad = { ...outcome(1), done: -1 };

        await expect(catalog.saveBatchOutcome('sweep-1', 0, bad)).rejects.toBeInstanceOf(ValidationError);

        expect(await catalog.listBatchOutcomes('sweep-1')).toEqual([]);
      });
    });

    describe('sweep inventories', () => {
      // Random hex does not compress: enough facts to need several pieces of the stored reading.
      const noise = (() => {
        let a = 7;
        return () => {
          a = (a + 0x6d2b79f5) >>> 0;
          let t = Math.imul(a ^ (a >>> 15), 1 | a);
          t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
          return ((t ^ (t >>> 14)) >>> 0).toString(16).padStart(8, '0');
        };
      })();
      const aPart = (region: string, startedMinutes: number, facts: number): InventoryPart => ({
        sweepId: 'sweep-2026-03-01',
        region,
        startedAt: at(startedMinutes),
        finishedAt: at(startedMinutes + 3),
        facts: Array.from({ length: facts }, (_, i) => ({
          amiId: amiId(i + 1),
          inUse: i % 3 === 0,
          references: i % 3 === 0 ? [`lt-${noise()}${noise()} version ${i}`, `i-${noise()}${noise()}`] : [],
          ...(i % 3 === 0 ? { lastSeenInUseAt: at(startedMinutes) } : {}),
        })),
        untracked: [{ region, imageId: amiId(900_001), name: 'golden-al2023-2025.01.01.1' }],
        missing: [{ family: F, version: versionOf(2), region, imageId: amiId(900_002) }],
        unknown: [
          { family: F, version: versionOf(3), why: 'shared with account 444455556666, which has no roleArn' },
        ],
      });

      it('stores a reading of thousands of facts in pieces and reads it back unchanged, one part per region', async () => {
        const big = aPart('eu-west-1', 0, 30_000);
        expect(inventoryPartToItems(big).pieces.length).toBeGreaterThan(1);
        const small = aPart('us-east-1', 1, 3);

        expect(await catalog.saveInventoryPart(big)).toEqual({ written: true });
        expect(await catalog.saveInventoryPart(small)).toEqual({ written: true });

        expect(await catalog.getInventoryParts('sweep-2026-03-01')).toEqual([big, small]);
        expect(await catalog.getInventoryParts('sweep-other')).toEqual([]);
        // Thirty thousand facts through DynamoDB Local: seconds on a loaded machine, over jest's default 5 s.
      }, 60_000);

      it('replaces a region’s reading with a later one, and never with one that began earlier', async () => {
        const first = aPart('eu-west-1', 0, 40);
        const retried = aPart('eu-west-1', 20, 10);

        await catalog.saveInventoryPart(first);
        expect(await catalog.saveInventoryPart(retried)).toEqual({ written: true });
        // The first attempt outlived its retry and stores its reading late: it does not win.
        expect(await catalog.saveInventoryPart(first)).toEqual({ written: false });

        expect(await catalog.getInventoryParts('sweep-2026-03-01')).toEqual([retried]);
      });

      it('keeps the stored reading when another begun at the same instant comes, even one of fewer pieces', async () => {
        const big = aPart('eu-west-1', 0, 30_000);
        const small = aPart('eu-west-1', 0, 3);

        await catalog.saveInventoryPart(big);
        expect(await catalog.saveInventoryPart(small)).toEqual({ written: false });

        expect(await catalog.getInventoryParts('sweep-2026-03-01')).toEqual([big]);
      });

      it('refuses a part that does not match the inventory schema, storing nothing', async () => {
        const bad = { ...aPart('eu-west-1', 0, 2), region: 'Europe' };

        await expect(catalog.saveInventoryPart(bad)).rejects.toThrow(/region/);

        expect(await catalog.getInventoryParts('sweep-2026-03-01')).toEqual([]);
      });
    });
  });
};
