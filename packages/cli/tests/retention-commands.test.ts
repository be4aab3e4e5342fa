import { readFileSync } from 'node:fs';
import { MemorySharedUsage } from '@ami-lifecycle/aws/memory';
import {
  managedTags,
  parsePolicy,
  parseStoredOrganizationConfig,
  type RetentionPlan,
  retentionPlanSchema,
} from '@ami-lifecycle/core';
import { type RetentionShowView, runAmictl, stateMachineFromEnv } from '../src';
import {
  addImage,
  addLiveImage,
  createWorld,
  EXAMPLE,
  HOME,
  regionInventory,
  START,
  storeOrganization,
  type World,
} from './support/world';

const WORKLOADS = '222222222222';
const PREVIOUS = 'sweep-2026-02-28';

/**
 * The example organisation (stored) and two families whose AMIs are all in the live inventory:
 * golden-ubuntu (keeps the newest 3, shares with nobody) with four published images, 24.04.4 on latest,
 * so 24.04.1 is past its newest 3 and unused; golden-al2023 (shared with the workloads account) with
 * 1.0.0 on latest and stable, which an instance of the workloads account runs.
 */
const retentionWorld = async (afterPolicyChange: 'dry-run' | 'apply' = 'apply'): Promise<World> => {
  const world = await createWorld();
  await storeOrganization(world, afterPolicyChange);
  for (const [i, version] of ['24.04.1', '24.04.2', '24.04.3', '24.04.4'].entries()) {
    await addLiveImage(world, {
      family: 'golden-ubuntu',
      version,
      n: 10 + i,
      createdAt: `2026-02-0${1 + 2 * i}T08:00:00.000Z`,
      verdict: 'pass',
      channels: ['latest'],
    });
  }
  const al = await addLiveImage(world, {
    family: 'golden-al2023',
    version: '1.0.0',
    n: 1,
    createdAt: '2026-02-10T08:00:00.000Z',
    verdict: 'pass',
    channels: ['latest', 'stable'],
  });
  const workloads = new MemorySharedUsage({ accountId: WORKLOADS, region: HOME });
  world.sharedUsage.set(`${WORKLOADS}|${HOME}`, workloads);
  workloads.launchInstance(al.amiIds[HOME]!);
  world.writes.length = 0;
  return world;
};

const lineOf = (world: World, pattern: RegExp): string | undefined => world.out.find((l) => pattern.test(l));

/** The preview's plan, as `retention plan --json` prints it. */
const previewOf = async (world: World, ...flags: string[]): Promise<RetentionPlan> => {
  world.out.length = 0;
  expect(await world.run('retention', 'plan', '--json', ...flags)).toBe(0);
  return retentionPlanSchema.parse(JSON.parse(world.out.join('\n')));
};

/** Stores a plan as an earlier sweep's: `edit` changes what that sweep decided. */
const storePrevious = async (world: World, edit: (plan: RetentionPlan) => RetentionPlan): Promise<void> => {
  const plan = await previewOf(world);
  await world.catalog.savePlan(
    edit({
      ...plan,
      sweepId: PREVIOUS,
      generatedAt: '2026-02-28T06:00:00.000Z',
      inventoryAt: '2026-02-28T06:00:00.000Z',
    }),
  );
  world.out.length = 0;
  world.writes.length = 0;
};

describe('amictl retention plan', () => {
  it('says which families a new policy’s first sweep would only plan for, and why', async () => {
    const world = await retentionWorld('dry-run');

    expect(await world.run('retention', 'plan')).toBe(0);

    expect(world.out).toContain('decisions: 1 deprecate, 0 disable, 0 retire, 4 keep (0 actions)');
    expect(world.out).toContain('withheld: golden-ubuntu: the first sweep under this policy only plans');
  });

  it('prints each decision with its reason codes and messages, the guard, the counts, and writes nothing', async () => {
    const world = await retentionWorld();

    expect(await world.run('retention', 'plan')).toBe(0);

    expect(world.out[0]).toBe(
      'retention plan as of 2026-03-01T10:00Z, inventory read 2026-03-01T10:00Z (a preview: nothing stored, nothing changed)',
    );
    expect(world.out[1]).toMatch(/^FAMILY\s+VERSION\s+STATE\s+DECISION\s+REASONS$/);
    expect(lineOf(world, /^golden-ubuntu\s+24\.04\.1 /)).toMatch(
      /^golden-ubuntu\s+24\.04\.1\s+published\s+deprecate\s+expired-count: older than the newest 3 the family keeps$/,
    );
    expect(lineOf(world, /^golden-ubuntu\s+24\.04\.2 /)).toMatch(
      /\s+published\s+keep\s+within-keep-latest: among the newest 3 the family keeps$/,
    );
    const al = lineOf(world, /^golden-al2023\s+1\.0\.0 /);
    expect(al).toMatch(/^golden-al2023\s+1\.0\.0\s+published\s+keep\s+\S/);
    expect(al).toContain('within-keep-latest: among the newest 5 the family keeps');
    expect(al).toMatch(/in-use: [^;]*222222222222/);
    expect(al).toMatch(/channel-target: channel (latest|stable) points to it/);
    expect(al?.split('; ')).toHaveLength(3);
    expect(world.out).toContain('guard: ok');
    expect(world.out).toContain('decisions: 1 deprecate, 0 disable, 0 retire, 4 keep (1 action)');
    expect(world.out).toContain('diff: no earlier plan to compare with');
    expect(world.err).toEqual([]);
    expect(world.writes).toEqual([]);
    expect(await world.catalog.listPlans()).toMatchObject({ items: [] });
    expect(world.events.published()).toEqual([]);
    expect(world.starts).toEqual([]);
  });

  it('--json prints the plan in the core plan schema, with guard, summary and diff', async () => {
    const world = await retentionWorld();

    const plan = await previewOf(world);

    expect(plan.sweepId).toBe('preview-2026-03-01T10:00Z');
    expect(plan.generatedAt).toBe(START);
    expect(plan.guard).toEqual({ status: 'ok', reasons: [] });
    expect(plan.summary).toEqual({ keep: 4, deprecate: 1, disable: 0, retire: 0 });
    expect(plan.actions).toEqual([
      expect.objectContaining({ family: 'golden-ubuntu', version: '24.04.1', decision: 'deprecate' }),
    ]);
    const codes = Object.fromEntries(
      plan.decisions.map((d) => [
        `${d.family}@${d.version}`,
        [d.decision, ...d.reasons.map((r) => r.code).sort()],
      ]),
    );
    expect(codes).toEqual({
      'golden-al2023@1.0.0': ['keep', 'channel-target', 'in-use', 'within-keep-latest'],
      'golden-ubuntu@24.04.4': ['keep', 'channel-target', 'within-keep-latest'],
      'golden-ubuntu@24.04.3': ['keep', 'within-keep-latest'],
      'golden-ubuntu@24.04.2': ['keep', 'within-keep-latest'],
      'golden-ubuntu@24.04.1': ['deprecate', 'expired-count'],
    });
    expect(plan.previousSweepId).toBeUndefined();
    expect(plan.diff.added).toHaveLength(5);
    expect(plan.diff).toMatchObject({ changed: [], removed: [], unchanged: 0 });
    expect(world.writes).toEqual([]);
  });

  it('diffs against the newest stored plan, and stores nothing itself', async () => {
    const world = await retentionWorld();
    await storePrevious(world, (plan) => ({
      ...plan,
      decisions: [
        // 24.04.1 was kept, 24.04.4 did not exist yet, and 23.10 was still there.
        ...plan.decisions
          .filter((d) => d.version !== '24.04.4')
          .map((d) => (d.version === '24.04.1' ? { ...d, decision: 'keep' as const } : d)),
        {
          family: 'golden-ubuntu',
          version: '23.10',
          state: 'disabled',
          decision: 'retire',
          reasons: [{ code: 'grace-elapsed', message: 'disabled for over 30 days' }],
        },
      ],
    }));

    expect(await world.run('retention', 'plan')).toBe(0);

    expect(world.out).toContain(`diff to ${PREVIOUS}: 1 changed, 1 added, 1 removed, 3 unchanged`);
    expect(world.out).toContain('  changed golden-ubuntu@24.04.1: keep -> deprecate');
    expect(world.out).toContain('  added   golden-ubuntu@24.04.4: (none) -> keep');
    expect(world.out).toContain('  removed golden-ubuntu@23.10: retire -> (gone)');
    expect(world.writes).toEqual([]);
    expect((await world.catalog.listPlans()).items.map((p) => p.sweepId)).toEqual([PREVIOUS]);
  });

  it('--family prints only that family, its counts and diff; the guard stays the whole organisation’s', async () => {
    const world = await retentionWorld();
    await storePrevious(world, (plan) => ({
      ...plan,
      decisions: plan.decisions.map((d) =>
        d.version === '24.04.1' ? { ...d, decision: 'keep' as const } : d,
      ),
    }));

    const plan = await previewOf(world, '--family', 'golden-al2023');
    expect(plan.decisions.map((d) => `${d.family}@${d.version}`)).toEqual(['golden-al2023@1.0.0']);
    expect(plan.actions).toEqual([]);
    expect(plan.summary).toEqual({ keep: 1, deprecate: 0, disable: 0, retire: 0 });
    expect(plan.diff).toEqual({ changed: [], added: [], removed: [], unchanged: 1 });

    world.out.length = 0;
    expect(await world.run('retention', 'plan', '--family', 'golden-ubuntu')).toBe(0);
    const rows = world.out.filter((l) => /^golden-/.test(l));
    expect(rows).toHaveLength(4);
    expect(rows.every((l) => l.startsWith('golden-ubuntu '))).toBe(true);
    expect(world.out).toContain(
      "the decisions of golden-ubuntu; the guard is the whole organisation's, as a sweep acts",
    );
    expect(world.out).toContain('decisions: 1 deprecate, 0 disable, 0 retire, 3 keep (1 action)');
    expect(world.out).toContain(`diff to ${PREVIOUS}: 1 changed, 0 added, 0 removed, 3 unchanged`);
    expect(world.writes).toEqual([]);
  });

  it('refuses a family it knows nothing of, exit 1, before reading the inventory', async () => {
    const world = await retentionWorld();
    const inventoryRead = jest.spyOn(world.catalog, 'listImagesByState');

    expect(await world.run('retention', 'plan', '--family', 'nosuch')).toBe(1);

    expect(world.err).toEqual(['amictl: family nosuch is unknown: it has no stored config and no images']);
    expect(world.out).toEqual([]);
    expect(inventoryRead).not.toHaveBeenCalled();
  });

  it('answers for a configured family without images, exit 0', async () => {
    const world = await retentionWorld();
    await world.catalog.putFamilyConfig(
      'golden-al2023-arm',
      {
        ...parsePolicy(readFileSync(EXAMPLE, 'utf8'), EXAMPLE).families['golden-al2023']!,
        name: 'golden-al2023-arm',
      },
      { expectedCurrent: null, at: START, by: 'test' },
    );

    expect(await world.run('retention', 'plan', '--family', 'golden-al2023-arm')).toBe(0);
    expect(world.out).toContain('no images to decide on');
  });

  it('refuses without a stored organisation config, exit 1', async () => {
    const world = await createWorld();

    expect(await world.run('retention', 'plan')).toBe(1);

    expect(world.err).toEqual([
      'amictl: the organisation section of the policy is not stored; run amictl config apply first',
    ]);
  });

  it('says when the guard trips: no action would be taken', async () => {
    const world = await retentionWorld();
    // No retirement allowed per run, and a failed image past its 7 days, unused: the guard trips.
    const stored = (await world.catalog.getOrganizationConfig())!;
    const { config } = parseStoredOrganizationConfig(stored);
    await world.catalog.putOrganizationConfig(
      { ...config, sweep: { ...config.sweep, maxRetirementsPerRun: 0 } },
      { expectedCurrent: stored.version, at: START, by: 'test' },
    );
    const failed = regionInventory(world, HOME).addImage({
      name: 'golden-ubuntu-23.10',
      tags: managedTags({ family: 'golden-ubuntu', version: '23.10', buildId: 'build-23.10' }),
    });
    await addImage(world, {
      family: 'golden-ubuntu',
      version: '23.10',
      n: 30,
      state: 'failed',
      createdAt: '2026-01-01T08:00:00.000Z',
      amiIds: { [HOME]: failed },
    });

    expect(await world.run('retention', 'plan')).toBe(0);

    expect(world.out).toContain(
      'guard: tripped, no action is taken: 1 retirements exceed the per-run limit of 0',
    );
    expect(world.out).toContain('decisions: 1 deprecate, 0 disable, 1 retire, 4 keep (0 actions)');
  });
});

describe('amictl retention apply', () => {
  it('--yes starts one sweep named after the minute, asks nothing, and says how to follow it', async () => {
    const world = await retentionWorld();

    expect(await world.run('retention', 'apply', '--yes')).toBe(0);

    expect(world.starts).toEqual([{ sweepId: 'sweep-manual-2026-03-01T10-00Z', dryRun: false }]);
    expect(world.questions).toEqual([]);
    expect(world.out).toEqual([
      'sweep sweep-manual-2026-03-01T10-00Z started (execution sweep-manual-2026-03-01T10-00Z)',
      'follow it: amictl retention show sweep-manual-2026-03-01T10-00Z (its plan is stored once its first step has run)',
    ]);
    expect(world.writes).toEqual([]);
  });

  it('--dry-run starts a sweep that only stores its plan, under its own id', async () => {
    const world = await retentionWorld();

    expect(await world.run('retention', 'apply', '--yes', '--dry-run')).toBe(0);

    expect(world.starts).toEqual([{ sweepId: 'sweep-manual-dry-run-2026-03-01T10-00Z', dryRun: true }]);
    expect(world.out[0]).toBe(
      'dry-run sweep sweep-manual-dry-run-2026-03-01T10-00Z started (execution sweep-manual-dry-run-2026-03-01T10-00Z)',
    );
  });

  it('says so when the sweep of that minute was already started, exit 0', async () => {
    const world = await retentionWorld();
    expect(await world.run('retention', 'apply', '--yes')).toBe(0);
    world.out.length = 0;

    expect(await world.run('retention', 'apply', '--yes')).toBe(0);

    expect(world.out[0]).toBe(
      'sweep sweep-manual-2026-03-01T10-00Z was already started (execution sweep-manual-2026-03-01T10-00Z); nothing new started',
    );
  });

  it('asks first without --yes: a yes starts the sweep', async () => {
    const world = await retentionWorld();
    world.answers.push(true);

    expect(await world.run('retention', 'apply')).toBe(0);

    expect(world.questions).toEqual([
      'Start the sweep sweep-manual-2026-03-01T10-00Z now? It deprecates, disables and retires the images its plan decides (amictl retention plan shows what it would decide now).',
    ]);
    expect(world.starts).toHaveLength(1);
  });

  it('a no starts nothing: exit 1, "nothing started"', async () => {
    const world = await retentionWorld();
    world.answers.push(false);

    expect(await world.run('retention', 'apply')).toBe(1);

    expect(world.questions).toHaveLength(1);
    expect(world.starts).toEqual([]);
    expect(world.err).toEqual([
      'amictl: nothing started: the sweep sweep-manual-2026-03-01T10-00Z was not confirmed',
    ]);
    expect(world.out).toEqual([]);
  });

  it('without a terminal and without --yes, refuses with exit 2 naming --yes, and starts nothing', async () => {
    const world = await retentionWorld();
    const { confirm: _, ...noTerminal } = world.deps;

    expect(await runAmictl(['retention', 'apply'], noTerminal)).toBe(2);

    expect(world.err).toEqual([
      'amictl: retention apply asks before it starts a sweep, and there is no terminal to ask on: add --yes',
      '(see amictl retention apply --help)',
    ]);
    expect(world.starts).toEqual([]);
  });

  it('refuses without a stored organisation config before asking, exit 1', async () => {
    const world = await createWorld();

    expect(await world.run('retention', 'apply', '--yes')).toBe(1);

    expect(world.err).toEqual([
      'amictl: the organisation section of the policy is not stored; run amictl config apply first',
    ]);
    expect(world.starts).toEqual([]);
  });

  it('a state machine AWS does not have is exit 3, with what to check', async () => {
    const world = await retentionWorld();
    world.deps.decommission!.sweeps.start = async () => {
      throw Object.assign(new Error('State Machine Does Not Exist: ami-lifecycle-prod-decommission'), {
        name: 'StateMachineDoesNotExist',
        $metadata: { httpStatusCode: 400 },
      });
    };

    expect(await world.run('retention', 'apply', '--yes')).toBe(3);

    expect(world.err[0]).toBe(
      'amictl: AWS in eu-west-1 (no AWS_ENDPOINT_URL set) has no such state machine: State Machine Does Not Exist: ami-lifecycle-prod-decommission',
    );
    expect(world.err[1]).toMatch(/DECOMMISSION_STATE_MACHINE_ARN/);
  });

  it('throws when wired without the decommission ports (main.ts turns that into exit 4)', async () => {
    const world = await retentionWorld();
    const { decommission: _, ...unwired } = world.deps;

    await expect(runAmictl(['retention', 'apply', '--yes'], unwired)).rejects.toThrow(
      /wired without the decommission ports/,
    );
    await expect(runAmictl(['retention', 'plan'], unwired)).rejects.toThrow(
      /wired without the decommission ports/,
    );
  });
});

describe('amictl retention show', () => {
  /** Two stored plans: the previous one, and a newer one whose action a sweep carried out or not. */
  const withPlans = async (carriedOut: boolean): Promise<World> => {
    const world = await retentionWorld();
    await storePrevious(world, (plan) => ({
      ...plan,
      decisions: plan.decisions.map((d) =>
        d.version === '24.04.1' ? { ...d, decision: 'keep' as const } : d,
      ),
      actions: [],
      summary: { keep: 5, deprecate: 0, disable: 0, retire: 0 },
    }));
    const plan = await previewOf(world);
    await world.catalog.savePlan({ ...plan, sweepId: 'sweep-2026-03-01', previousSweepId: PREVIOUS });
    if (carriedOut) {
      const image = (await world.catalog.getImage('golden-ubuntu', '24.04.1'))!;
      await world.catalog.transitionImage({
        family: 'golden-ubuntu',
        version: '24.04.1',
        from: 'published',
        to: 'deprecated',
        expectedStateVersion: image.stateVersion,
        at: START,
        audit: { actor: 'decommission-service', reason: 'expired-count', correlationId: 'sweep-2026-03-01' },
      });
    }
    world.out.length = 0;
    world.writes.length = 0;
    return world;
  };

  it('shows the newest plan: decisions with reasons, actions marked, and each action’s state now', async () => {
    const world = await withPlans(true);

    expect(await world.run('retention', 'show')).toBe(0);

    expect(world.out[0]).toBe(
      'retention plan sweep-2026-03-01: made 2026-03-01T10:00Z, inventory read 2026-03-01T10:00Z',
    );
    expect(world.out[1]).toMatch(/^FAMILY\s+VERSION\s+STATE\s+DECISION\s+ACTION\s+REASONS$/);
    expect(lineOf(world, /^golden-ubuntu\s+24\.04\.1 /)).toMatch(
      /\s+published\s+deprecate\s+yes\s+expired-count: older than the newest 3 the family keeps$/,
    );
    expect(lineOf(world, /^golden-ubuntu\s+24\.04\.2 /)).toMatch(/\s+keep\s+-\s+within-keep-latest: /);
    expect(world.out).toContain('guard: ok');
    expect(world.out).toContain(`diff to ${PREVIOUS}: 1 changed, 0 added, 0 removed, 4 unchanged`);
    expect(world.out).toContain('actions: 1 of 1 done');
    expect(lineOf(world, /^ {2}deprecate /)).toMatch(
      /^ {2}deprecate\s+golden-ubuntu@24\.04\.1\s+published\s+deprecated \(done\)$/,
    );
    expect(world.writes).toEqual([]);
  });

  it('says which actions are not done yet', async () => {
    const world = await withPlans(false);

    expect(await world.run('retention', 'show', 'sweep-2026-03-01')).toBe(0);

    expect(world.out).toContain('actions: 0 of 1 done');
    expect(lineOf(world, /^ {2}deprecate /)).toMatch(
      /^ {2}deprecate\s+golden-ubuntu@24\.04\.1\s+published\s+still published$/,
    );
  });

  it('counts an action done when the image went further since (deprecated, then disabled)', async () => {
    const world = await withPlans(true);
    const image = (await world.catalog.getImage('golden-ubuntu', '24.04.1'))!;
    await world.catalog.transitionImage({
      family: 'golden-ubuntu',
      version: '24.04.1',
      from: 'deprecated',
      to: 'disabled',
      expectedStateVersion: image.stateVersion,
      at: START,
      audit: { actor: 'decommission-service', reason: 'grace-elapsed', correlationId: 'sweep-2026-03-15' },
    });

    expect(await world.run('retention', 'show')).toBe(0);

    expect(world.out).toContain('actions: 1 of 1 done');
    expect(lineOf(world, /^ {2}deprecate /)).toMatch(/\s+published\s+disabled \(done\)$/);
  });

  it('shows an older plan by its id, and --json carries the plan and each action’s state', async () => {
    const world = await withPlans(true);

    expect(await world.run('retention', 'show', PREVIOUS)).toBe(0);
    expect(world.out[0]).toMatch(new RegExp(`^retention plan ${PREVIOUS}: made 2026-02-28T06:00Z`));
    expect(world.out).toContain('no actions: every image is kept');

    world.out.length = 0;
    expect(await world.run('retention', 'show', 'sweep-2026-03-01', '--json')).toBe(0);
    const view = JSON.parse(world.out.join('\n')) as RetentionShowView;
    expect(retentionPlanSchema.parse(view.plan).sweepId).toBe('sweep-2026-03-01');
    expect(view.actions).toEqual([
      {
        family: 'golden-ubuntu',
        version: '24.04.1',
        decision: 'deprecate',
        from: 'published',
        target: 'deprecated',
        current: 'deprecated',
        done: true,
      },
    ]);
  });

  it('refuses an unknown sweep id, exit 1, naming the newest ones', async () => {
    const world = await withPlans(false);

    expect(await world.run('retention', 'show', 'sweep-1999-01-01')).toBe(1);

    expect(world.err).toEqual([
      `amictl: retention plan sweep-1999-01-01 is not in the catalog; the newest: sweep-2026-03-01, ${PREVIOUS}`,
    ]);
    expect(world.out).toEqual([]);
  });

  it('says so when no plan is stored yet', async () => {
    const world = await createWorld();

    expect(await world.run('retention', 'show')).toBe(0);
    expect(world.out).toEqual(['no retention plan is stored yet (amictl retention apply starts a sweep)']);
    expect(await world.run('retention', 'show', 'sweep-x')).toBe(1);
    expect(world.err).toEqual([
      'amictl: retention plan sweep-x is not in the catalog: no plan is stored yet',
    ]);
  });
});

describe('the state machine retention apply starts, from the environment', () => {
  it('is DECOMMISSION_STATE_MACHINE_ARN when set', () => {
    const arn = 'arn:aws:states:eu-west-1:111111111111:stateMachine:custom';
    expect(stateMachineFromEnv({ DECOMMISSION_STATE_MACHINE_ARN: arn }, 'ami-lifecycle-prod')).toEqual({
      arn,
    });
  });

  it("is otherwise the stage's machine, the stage read from the catalog table", () => {
    expect(stateMachineFromEnv({}, 'ami-lifecycle-local')).toEqual({
      name: 'ami-lifecycle-local-decommission',
    });
    expect(stateMachineFromEnv({ DECOMMISSION_STATE_MACHINE_ARN: ' ' }, 'ami-lifecycle-prod')).toEqual({
      name: 'ami-lifecycle-prod-decommission',
    });
  });

  it('is refused, naming the variable, when the table names no stage', () => {
    expect(stateMachineFromEnv({}, 'catalog')).toEqual({
      refused: expect.stringMatching(/CATALOG_TABLE=catalog .*set DECOMMISSION_STATE_MACHINE_ARN$/),
    });
  });
});
