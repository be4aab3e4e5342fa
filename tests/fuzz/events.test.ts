import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy } from '@ami-lifecycle/core';
import { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { type FuzzCase, fieldCount, malformedEvents } from './support/cases';
import { HANDLERS, type HandlerModel, invalidFixtureCases } from './support/handlers';
import { getAt, isRecord, type Json, setAt } from './support/paths';
import { expectAccepted, expectRefused, outcomeClass, refusalOf } from './support/refusal';
import { checkProperty, FUZZ_SEED, fuzzSetting } from './support/seed';
import { expectNoPrototypePollution, expectQuiet, FuzzStage, ROOT, type World } from './support/stage';

/** Malformed events per function: with 37 functions, a few thousand in all. */
const RUNS_PER_FUNCTION = fuzzSetting('FUZZ_EVENT_RUNS', 90);
/** Malformed details put on the bus, per function EventBridge delivers our events to. */
const RUNS_PER_BUS_FUNCTION = fuzzSetting('FUZZ_BUS_RUNS', 30);

const model = (key: string): HandlerModel => HANDLERS.find((h) => h.key === key)!;
const BUS_HANDLERS = HANDLERS.filter((h) => h.trigger === 'bus');

/** Where a family name sits in a function's valid event. */
const familyPaths = (m: HandlerModel): (string | number)[][] =>
  [['family'], ['detail', 'family'], ['request', 'family']].filter(
    (path) => typeof getAt(m.bases[0]!.event, path) === 'string',
  );

/**
 * Every deployed function of serverless.yml, on one local cloud, is sent malformed and hostile events:
 * each must be refused with an error naming the offending field, before anything is read or written,
 * and the function must still take a valid event afterwards.
 */
describe('hostile and malformed events, refused whole by every function', () => {
  let stage: FuzzStage;
  const logLevel = process.env.POWERTOOLS_LOG_LEVEL;

  beforeAll(async () => {
    // Every refusal is logged with its event; thousands of them would bury the report.
    process.env.POWERTOOLS_LOG_LEVEL = 'CRITICAL';
    stage = await FuzzStage.start('fuzz-events', dynamoDbEndpoint());
    // Real families, so an event that slipped through would find something to act on.
    const policy = parsePolicy(readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8'), 'example');
    await new LocalPipeline(stage.cloud, stage.stage).storeFamilies(policy.families);
    console.info(`fuzz seed ${FUZZ_SEED} (replay with FUZZ_SEED=${FUZZ_SEED})`);
  }, 120_000);

  afterAll(async () => {
    await stage?.stop();
    if (logLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = logLevel;
  });

  it('models every deployed function', () => {
    expect(HANDLERS.map((h) => h.key).sort()).toEqual(stage.functionKeys().sort());
  });

  /** Sends one event and holds the outcome to the refusal rules. */
  const expectRefusedQuietly = async (key: string, event: unknown, path: readonly (string | number)[]) => {
    const { outcome, activity } = await stage.invoke(key, event);
    expectRefused(outcome, { path });
    expectQuiet(activity);
    expectNoPrototypePollution();
  };

  /** `puts`: the events the test itself put on the bus meanwhile. */
  const expectUnchanged = (before: World, after: World, puts = 0) => {
    expect(after.catalog).toBe(before.catalog);
    expect(after.ec2).toBe(before.ec2);
    expect(after.executions).toBe(before.executions);
    expect(after.parameters).toBe(before.parameters);
    expect(after.busEvents - puts).toBe(before.busEvents);
  };

  /** The function still takes valid events: nothing the fuzzing did broke its module or the process. */
  const alive = async (model: HandlerModel): Promise<string[]> => {
    const ends: string[] = [];
    for (const { name, event } of model.bases) {
      const { outcome } = await stage.invoke(model.key, event);
      expectAccepted(outcome);
      ends.push(`${name}: ${outcomeClass(outcome)}`);
    }
    await stage.settle();
    return ends;
  };

  it.each(HANDLERS.map((model) => [model.key, model] as const))(
    '%s refuses each malformed event, naming the field, and changes nothing',
    async (_key, model) => {
      // The valid events first: what they set off is settled before the world is read, and how they end
      // is how they must still end afterwards.
      const ends = await alive(model);
      const before = await stage.world();

      await checkProperty(
        `events/${model.key}`,
        malformedEvents(model),
        (c) => expectRefusedQuietly(model.key, c.event, c.path),
        RUNS_PER_FUNCTION,
      );

      expectUnchanged(before, await stage.world());
      expect(await alive(model)).toEqual(ends);
      expect(fieldCount(model)).toBeGreaterThan(0);
    },
    120_000,
  );

  it.each(BUS_HANDLERS.map((m) => [m.key, m] as const))(
    '%s, reached through the bus, refuses each malformed detail and changes nothing',
    async (_key, m) => {
      const ends = await alive(m);
      // What the valid events set off and is due now (a build's failure, told by notify) happens before
      // the malformed ones are put, not during them.
      await stage.cloud.clock.advance(0);
      await stage.settle();
      const before = await stage.world();
      const detailType = String(getAt(m.bases[0]!.event, ['detail-type']));
      // EventBridge writes the envelope itself; a producer only chooses the detail.
      const details = malformedEvents(m).filter(
        (c: FuzzCase) => c.path[0] === 'detail' && c.path.length > 1 && isRecord(getAt(c.event, ['detail'])),
      );
      let puts = 0;
      let filtered = 0;
      await checkProperty(
        `bus/${m.key}`,
        details,
        async (c) => {
          const { accepted, delivered, activity } = await stage.putOnBus(
            detailType,
            getAt(c.event, ['detail']),
          );
          if (!accepted) return;
          puts++;
          // A rule's content filter may keep a detail from this function (the originator's function
          // sees only requests by an address); whatever reached a function, each must refuse it whole,
          // this one and any other that takes the same detail-type (notify beside refresh).
          if (!delivered.some((d) => d.key === m.key)) {
            filtered++;
            return;
          }
          for (const d of delivered) expectRefused(d.outcome, { path: c.path });
          expectQuiet(activity, delivered.length);
          expectNoPrototypePollution();
        },
        RUNS_PER_BUS_FUNCTION,
      );
      expectUnchanged(before, await stage.world(), puts);
      expect(puts - filtered).toBeGreaterThan(RUNS_PER_BUS_FUNCTION / 2);
      expect(await alive(m)).toEqual(ends);
    },
    120_000,
  );

  it("refuses each contract's invalid fixtures at the path the fixture names", async () => {
    const before = await stage.world();
    for (const c of invalidFixtureCases()) {
      try {
        await expectRefusedQuietly(c.handler, c.event, c.path);
      } catch (error) {
        throw new Error(`${c.file} sent to ${c.handler}: ${(error as Error).message}`);
      }
    }
    expectUnchanged(before, await stage.world());
  });

  /**
   * `constructor` is a well-formed family name (kebab-case) that is also a key of every object: wherever a
   * family name indexes a map, it must behave like any other family that does not exist.
   */
  it.each(HANDLERS.filter((m) => familyPaths(m).length > 0).map((m) => [m.key, m] as const))(
    '%s treats a family named after a prototype key like any unknown family',
    async (_key, m) => {
      for (const path of familyPaths(m)) {
        const classify = async (family: string) => {
          const { outcome } = await stage.invoke(m.key, setAt(m.bases[0]!.event, path, family));
          await stage.settle();
          expectNoPrototypePollution();
          const refusal = refusalOf(outcome);
          if (refusal !== undefined) return `refused ${refusal.message.replaceAll(family, '<family>')}`;
          if (outcome.ok) return `answered ${typeof outcome.value}`;
          return `failed with ${(outcome.error as Error).name}`;
        };
        const unknown = await classify('no-such-family');
        for (const family of ['constructor', 'prototype', 'valueof']) {
          expect([family, path, await classify(family)]).toEqual([family, path, unknown]);
        }
      }
    },
    60_000,
  );

  it('takes a valid event put on the bus after all of this, and acts on it', async () => {
    const before = await stage.world();
    const { accepted, delivered } = await stage.putOnBus('Build Requested', {
      ...(getAt(model('requestBuild').bases[0]!.event, ['detail']) as Record<string, Json>),
      idempotencyKey: 'fuzz-after-all',
    });
    await stage.settle();
    expect(accepted).toBe(true);
    expect(delivered.map((d) => d.key)).toContain('requestBuild');
    expectAccepted(delivered.find((d) => d.key === 'requestBuild')!.outcome);
    expect((await stage.world()).executions).not.toBe(before.executions);
  });
});
