import {
  amiPointerKeys,
  auditKey,
  batchOutcomeKey,
  channelHistoryKey,
  channelKey,
  compareBytes,
  configKey,
  currentConfigKey,
  currentConfigKeys,
  currentOrganizationConfigKey,
  holdKeys,
  InvalidKeyError,
  imageKeys,
  inventoryPartKey,
  inventoryPieceKey,
  inventoryReadingId,
  organizationConfigKey,
  parseKey,
  planDecisionKey,
  planSummaryKeys,
  policyHeadKey,
  refreshDecisionKeys,
  refreshDecisionTableKey,
  sortableTimestamp,
} from '@ami-lifecycle/catalog';
import fc from 'fast-check';

const family = fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/);
/** Versions are free text in the domain; anything without the separator must round-trip. */
const version = fc.string({ minLength: 1, maxLength: 20 }).filter((v) => !v.includes('#'));
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/);
const region = fc.constantFrom('eu-west-1', 'us-east-1', 'ap-southeast-2', 'us-gov-west-1');
const timestamp = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const counter = fc.integer({ min: 0, max: 9_999_999_999 });
/** What core's trigger key schema allows: `<trigger>:<what>`, never `#`. */
const triggerKey = fc.stringMatching(/^[a-z-]{1,12}:[A-Za-z0-9@._:/+-]{1,30}$/);

describe('catalog keys', () => {
  it('parses every key it builds back into what it names', () => {
    fc.assert(
      fc.property(family, version, name, region, timestamp, counter, (f, v, n, r, t, k) => {
        expect(parseKey(configKey(f, k))).toEqual({ entity: 'family-config', family: f, version: k });
        expect(parseKey(currentConfigKey(f))).toEqual({
          entity: 'family-config',
          family: f,
          version: 'current',
        });
        expect(parseKey(imageKeys({ family: f, version: v, state: 'built', createdAt: t }))).toEqual({
          entity: 'image',
          family: f,
          version: v,
        });
        expect(
          parseKey(amiPointerKeys({ family: f, version: v, createdAt: t }, r, 'ami-0123456789abcdef0')),
        ).toEqual({
          entity: 'ami-pointer',
          family: f,
          version: v,
          region: r,
        });
        expect(parseKey(channelKey(f, n))).toEqual({ entity: 'channel', family: f, name: n });
        expect(parseKey(channelHistoryKey(f, n, k))).toEqual({
          entity: 'channel-history',
          family: f,
          name: n,
          revision: k,
        });
        expect(parseKey(holdKeys({ id: v, target: { kind: 'family', family: f }, createdAt: t }))).toEqual({
          entity: 'hold',
          id: v,
        });
        expect(parseKey(organizationConfigKey(k))).toEqual({ entity: 'organization-config', version: k });
        expect(parseKey(auditKey({ family: f, version: v, at: t, seq: k }))).toEqual({
          entity: 'audit',
          family: f,
          version: v,
          at: t,
          seq: k,
        });
        expect(
          parseKey(auditKey({ family: f, version: v, at: t, seq: k }, { name: n, revision: k })),
        ).toEqual({
          entity: 'audit',
          family: f,
          version: v,
          at: t,
          seq: k,
          channel: { name: n, revision: k },
        });
        expect(parseKey(planSummaryKeys({ sweepId: v, generatedAt: t }))).toEqual({
          entity: 'plan-summary',
          sweepId: v,
        });
        expect(parseKey(currentOrganizationConfigKey())).toEqual({
          entity: 'organization-config',
          version: 'current',
        });
        expect(parseKey(currentConfigKeys(f))).toEqual({
          entity: 'family-config',
          family: f,
          version: 'current',
        });
        expect(parseKey(planDecisionKey(n, { family: f, version: v }))).toEqual({
          entity: 'plan-decision',
          sweepId: n,
          family: f,
          version: v,
        });
      }),
    );
  });

  it('parses refresh decision keys back, and keeps them apart from the other family items', () => {
    fc.assert(
      fc.property(family, triggerKey, timestamp, (f, k, t) => {
        const keys = refreshDecisionKeys({ family: f, triggerKey: k, decidedAt: t });

        expect(parseKey(keys)).toEqual({ entity: 'refresh-decision', family: f, triggerKey: k });
        expect(keys).toEqual({
          ...refreshDecisionTableKey(f, k),
          GSI2PK: `REFRESH#${f}`,
          GSI2SK: `${t}#${k}`,
        });
        for (const prefix of ['STATE#', 'REGION#']) expect(keys.GSI2PK.startsWith(prefix)).toBe(false);
        for (const prefix of ['CONFIG#', 'IMAGE#', 'CHANNEL#', 'CHANHIST#', 'AMIREF#']) {
          expect(keys.SK.startsWith(prefix)).toBe(false);
        }
      }),
    );
  });

  it('parses inventory keys back: a region’s part, and the pieces of one reading in order', () => {
    expect(parseKey(inventoryPartKey('sweep-2026-03-01', 'eu-west-1'))).toEqual({
      entity: 'inventory-part',
      sweepId: 'sweep-2026-03-01',
      region: 'eu-west-1',
    });
    const reading = inventoryReadingId('2026-03-01T02:00:00+01:00', '0a1b2c3d');
    expect(reading).toBe(`${String(Date.parse('2026-03-01T01:00:00Z')).padStart(15, '0')}-0a1b2c3d`);
    expect(parseKey(inventoryPieceKey('sweep-2026-03-01', 'eu-west-1', reading, 12))).toEqual({
      entity: 'inventory-piece',
      sweepId: 'sweep-2026-03-01',
      region: 'eu-west-1',
      reading,
      index: 12,
    });
    // One reading's pieces sort in their order, apart from another reading's begun at the same instant.
    const other = inventoryReadingId('2026-03-01T01:00:00Z', 'ffffffff');
    const sks = [
      inventoryPieceKey('s', 'eu-west-1', reading, 10),
      inventoryPieceKey('s', 'eu-west-1', other, 0),
      inventoryPieceKey('s', 'eu-west-1', reading, 9),
    ]
      .map((k) => k.SK)
      .sort();
    expect(sks.map((sk) => parseKey({ PK: 'INVENTORY#s', SK: sk }))).toMatchObject([
      { reading, index: 9 },
      { reading, index: 10 },
      { reading: other, index: 0 },
    ]);
    expect(() => parseKey({ PK: 'INVENTORY#sweep-1', SK: 'PIECE#eu-west-1#12#0000000001' })).toThrow(
      /not a key of the catalog table/,
    );
    expect(() => inventoryReadingId('2026-03-01T01:00:00Z', 'xyz')).toThrow(/not an inventory reading id/);
  });

  it('parses batch outcome keys back, in batch order', () => {
    expect(parseKey(batchOutcomeKey('sweep-2026-03-01', 7))).toEqual({
      entity: 'batch-outcome',
      sweepId: 'sweep-2026-03-01',
      batch: 7,
    });
    expect(batchOutcomeKey('s', 10).SK > batchOutcomeKey('s', 9).SK).toBe(true);
  });

  it('lists the current config of a family under FAMILIES, by family name', () => {
    expect(currentConfigKeys('golden-al2023')).toEqual({
      ...currentConfigKey('golden-al2023'),
      GSI1PK: 'FAMILIES',
      GSI1SK: 'golden-al2023',
    });
  });

  it('orders refresh decisions by decision time, whatever offset the caller wrote', () => {
    const sk = (decidedAt: string, k = 'stale-base:2025-03-01') =>
      refreshDecisionKeys({ family: 'golden-al2023', triggerKey: k, decidedAt }).GSI2SK;

    expect(sk('2025-03-01T12:30:00+02:00')).toBe('2025-03-01T10:30:00.000Z#stale-base:2025-03-01');
    expect(compareBytes(sk('2025-03-01T12:00:00Z'), sk('2025-03-01T13:00:00+02:00'))).toBeGreaterThan(0);
  });

  it('lists a hold in force under its target and among the active holds by creation time, a released one nowhere', () => {
    const hold = {
      id: 'hold-1',
      target: { kind: 'image' as const, family: 'golden-al2023', version: '1.0.0' },
      createdAt: '2025-03-01T12:30:00+02:00',
    };

    expect(holdKeys(hold)).toEqual({
      PK: 'HOLD#hold-1',
      SK: 'HOLD',
      GSI1PK: 'TARGET#golden-al2023@1.0.0',
      GSI1SK: 'HOLD#hold-1',
      GSI2PK: 'HOLDS',
      GSI2SK: '2025-03-01T10:30:00.000Z#hold-1',
    });
    expect(holdKeys({ ...hold, releasedAt: '2025-03-02T00:00:00Z' })).toEqual({
      PK: 'HOLD#hold-1',
      SK: 'HOLD',
    });
    expect(() => holdKeys({ ...hold, id: 'a#b' })).toThrow(InvalidKeyError);
  });

  it('orders zero-padded numbers as numbers', () => {
    fc.assert(
      fc.property(counter, counter, (a, b) => {
        const ka = configKey('golden-al2023', a).SK;
        const kb = configKey('golden-al2023', b).SK;
        expect(Math.sign(compareBytes(ka, kb))).toBe(Math.sign(a - b));
      }),
    );
  });

  it('orders timestamps in keys by time, whatever offset the caller wrote', () => {
    expect(sortableTimestamp('2025-03-01T13:00:00+02:00')).toBe('2025-03-01T11:00:00.000Z');
    expect(sortableTimestamp('2025-03-01T12:00:00Z') > sortableTimestamp('2025-03-01T13:00:00+02:00')).toBe(
      true,
    );
  });

  it('refuses a key part that holds the separator, an empty part or a number out of range', () => {
    expect(() =>
      imageKeys({ family: 'f-1', version: '1#2', state: 'built', createdAt: '2025-01-01T00:00:00Z' }),
    ).toThrow(InvalidKeyError);
    expect(() => channelKey('golden-al2023', '')).toThrow(InvalidKeyError);
    expect(() => configKey('golden-al2023', -1)).toThrow(InvalidKeyError);
    expect(() => configKey('golden-al2023', 10_000_000_000)).toThrow(InvalidKeyError);
    expect(() => refreshDecisionTableKey('golden-al2023', 'stale-base:a#b')).toThrow(InvalidKeyError);
    expect(() =>
      refreshDecisionKeys({ family: 'golden-al2023', triggerKey: '', decidedAt: '2025-01-01T00:00:00Z' }),
    ).toThrow(InvalidKeyError);
  });

  it('keeps the policy head apart from every config item', () => {
    expect(policyHeadKey()).toEqual({ PK: 'POLICY', SK: 'HEAD' });
    expect(parseKey(policyHeadKey())).toEqual({ entity: 'policy-head' });
  });

  it('refuses to parse what is not one of its keys', () => {
    for (const key of [
      { PK: 'USER#1', SK: 'PROFILE' },
      { PK: 'FAMILY#f', SK: 'CONFIG#v12' },
      { PK: 'FAMILY#f', SK: 'WIDGET#1' },
      { PK: 'HOLD#1', SK: 'SUMMARY' },
      { PK: 'AUDIT#f', SK: '2025-01-01T00:00:00.000Z#0000000001' },
      { PK: 'AUDIT#f#v', SK: 'yesterday#0000000001' },
      { PK: 'PLAN#s', SK: 'DECISION#no-at-sign' },
      { PK: 'FAMILY#f', SK: 'REFRESH#' },
      { PK: 'FAMILY#f', SK: 'REFRESH#a#b' },
      { PK: 'ORG', SK: 'CONFIG#v1' },
      { PK: 'ORG', SK: 'IMAGE#1' },
      { PK: 'ORG#x', SK: 'CONFIG#current' },
      { PK: 'POLICY', SK: 'CONFIG#current' },
      { PK: 'POLICY#x', SK: 'HEAD' },
    ]) {
      expect(() => parseKey(key)).toThrow(InvalidKeyError);
    }
  });
});
