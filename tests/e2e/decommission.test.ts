import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FamilyConfig, type Image, parsePolicy, type RetentionPlan } from '@ami-lifecycle/core';
import { dailySweepId } from '@ami-lifecycle/decommission-service';
import type { LocalCloud } from '@ami-lifecycle/local-cloud';
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { amictlOn } from '../../scripts/amictl-on';
import type { LocalPipeline } from '../../scripts/local-pipeline';
import { dynamoDbEndpoint } from '../support/dynamodb-local-env';
import { HOME, OTHER, ROOT, startStage } from './support/stage';

const START = '2026-03-01T09:00:00.000Z';
const HOUR = 3600;
const DAY = 24 * HOUR;
const GOLDEN = 'sweep-golden';
const APP = 'sweep-app';
const WORKLOADS_ROLE = 'arn:aws:iam::222222222222:role/ami-lifecycle-inventory';

/**
 * The example organisation with two families made for a sweep: a golden family that keeps only its newest
 * image, moves a stage every two days and counts a launch within three days as use; and an application
 * family built on it once. Re-inspection is yearly, so no test instance launches an image meanwhile.
 */
const policyText = (): string => {
  const example = readFileSync(join(ROOT, 'examples', 'ami-lifecycle.yaml'), 'utf8');
  return example;
};

const sweepFamilies = (): Record<string, FamilyConfig> => {
  const policy = parsePolicy(policyText(), 'example');
  const golden = policy.families['golden-al2023']!;
  const app = policy.families['orders-worker']!;
  const retention = {
    keepLatest: 1,
    retainAtLeast: 1,
    disableAfterDeprecatedDays: 2,
    retireAfterDisabledDays: 2,
    inUseGraceDays: 3,
    failedRetireAfterDays: 7,
    maxRetirementsPerRun: 10,
  };
  return {
    [GOLDEN]: {
      ...golden,
      name: GOLDEN,
      publish: { ...golden.publish, channels: ['latest'] },
      inspect: { ...golden.inspect, reinspectEveryDays: 365 },
      refresh: { onParentPublish: true, onVulnerable: false },
      retention,
    } as FamilyConfig,
    [APP]: {
      ...app,
      name: APP,
      parent: { family: GOLDEN, channel: 'latest' },
      publish: {
        ...app.publish,
        approval: 'auto',
        channels: ['latest'],
        regions: [HOME],
        sharing: { accounts: [], organization: false, organizationalUnits: [] },
      },
      inspect: { ...app.inspect, reinspectEveryDays: 365 },
      refresh: { onParentPublish: false, onVulnerable: false },
      retention,
    } as FamilyConfig,
  };
};

/**
 * A retention sweep on the local cloud over images built, published and used through the services: the
 * daily schedule sweeps; every image that is used somewhere, held, pointed to or the parent of a kept
 * image stays, each with its reason; an unprotected one is deprecated, disabled and retired with its
 * snapshots in both regions, a stage at a time.
 */
describe('the decommission service on the local cloud', () => {
  let cloud: LocalCloud;
  let pipeline: LocalPipeline;
  let amictl: ReturnType<typeof amictlOn>;
  const golden: Image[] = [];
  let app: Image;

  beforeAll(async () => {
    ({ cloud, pipeline } = await startStage('e2e-decommission', [], START, dynamoDbEndpoint()));
    await pipeline.storeOrganization(parsePolicy(policyText(), 'example'));
    await pipeline.storeFamilies(sweepFamilies());
    amictl = amictlOn(pipeline, HOME);
  }, 120_000);
  afterAll(() => cloud?.stop());

  const ec2 = (
    region = HOME,
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = cloud.clientConfig
      .credentials,
  ) => new EC2Client({ ...cloud.clientConfig, region, credentials });
  const published = async (family: string, key: string): Promise<Image> => {
    const { buildId } = await pipeline.requestBuild(family, key, { force: true });
    let image: Image | undefined;
    await pipeline.advanceUntil(
      `${family} ${key} published`,
      async () => {
        image = await pipeline.imageOfBuild(family, buildId);
        return image?.state === 'published';
      },
      { maxSeconds: 6 * HOUR, stepSeconds: 60, describe: async () => `${image?.state}` },
    );
    return image!;
  };
  /**
   * Runs the clock a minute at a time until `done`, letting the functions invoked so far finish first each
   * time: a sweep reads its inventory while the clock stands, as a real one takes seconds, not the half
   * hour after which the policy calls an inventory stale.
   */
  const minuteByMinute = async (what: string, done: () => Promise<boolean>, maxSeconds: number) => {
    for (let waited = 0; waited <= maxSeconds; waited += 60) {
      await cloud.lambda?.drain();
      if (await done()) return;
      await cloud.clock.advance(60);
    }
    throw new Error(`${what} did not happen within ${maxSeconds / 60} simulated minutes:\n${await sweeps()}`);
  };
  const planOf = async (sweepId: string): Promise<RetentionPlan> => {
    await minuteByMinute(
      `plan ${sweepId}`,
      async () => (await pipeline.catalog.getPlan(sweepId)) !== undefined,
      DAY,
    );
    return (await pipeline.catalog.getPlan(sweepId))!;
  };
  /**
   * Runs the clock to the daily sweep `day` days after the start, a minute at a time around it (the
   * inventory is read while the clock runs; older than the policy's 30 minutes when planned, it trips the
   * guard), until its execution has ended. Answers its plan.
   */
  const runSweep = async (day: number): Promise<RetentionPlan> => {
    const at = Date.parse(START) + day * DAY * 1000;
    const ahead = (at - cloud.clock.nowMillis()) / 1000 - 60;
    if (ahead > 0) await cloud.clock.advance(ahead);
    const plan = await planOf(sweepIdAt(at));
    await minuteByMinute(
      `sweep of day ${day} ended`,
      async () =>
        pipeline
          .ingested('Retention Sweep Completed')
          .some((d) => (d as { sweepId: string }).sweepId === plan.sweepId),
      2 * HOUR,
    );
    return plan;
  };
  /** The decommission executions and how each ended (or the step it failed in): a timeout's "last seen". */
  const sweeps = async (): Promise<string> => {
    const sfn = new SFNClient(cloud.clientConfig);
    const machine = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.find((m) =>
      m.name?.endsWith('-decommission'),
    );
    const out: string[] = [];
    for (const e of (await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine?.stateMachineArn })))
      .executions ?? []) {
      const history = await sfn.send(
        new GetExecutionHistoryCommand({ executionArn: e.executionArn, maxResults: 500 }),
      );
      const failed = (history.events ?? [])
        .filter((h) => h.type?.endsWith('Failed'))
        .map((h) => JSON.stringify(h));
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      out.push(
        `${e.name} ${e.status} ${described.output?.slice(0, 600) ?? ''} ${failed.join(' ').slice(0, 1500)}`,
      );
    }
    return out.join('\n');
  };
  const sweepIdAt = (at: number) => dailySweepId(new Date(at).toISOString());
  const decision = (plan: RetentionPlan, image: Image) => {
    const d = plan.decisions.find((x) => x.family === image.family && x.version === image.version)!;
    return { decision: d.decision, codes: d.reasons.map((r) => r.code) };
  };
  const state = async (image: Image) => (await pipeline.catalog.getImage(image.family, image.version))?.state;
  const ami = async (region: string, imageId: string) =>
    (
      await ec2(region)
        .send(
          new DescribeImagesCommand({ ImageIds: [imageId], IncludeDeprecated: true, IncludeDisabled: true }),
        )
        .catch((e: Error) => {
          // Only EC2's "no such image" means gone; any other error fails the test.
          if (e.name === 'InvalidAMIID.NotFound') return { Images: [] };
          throw e;
        })
    ).Images?.[0];

  it('keeps every image that is used, held, pointed to or a parent, each with its reason, and deprecates the rest', async () => {
    // Arrange: eight golden versions; the application built once, on the fourth.
    for (let v = 1; v <= 8; v++) {
      golden.push(await published(GOLDEN, `sweep-golden-${v}`));
      if (v === 4) app = await published(APP, 'sweep-app-1');
    }
    const [v1, v2, v3, v4, v5, , v7, v8] = golden as [Image, Image, Image, Image, Image, Image, Image, Image];
    expect(app.parent?.version).toBe(v4.version);

    // v1: an instance in the workloads account, which it is shared with.
    const sts = new STSClient(cloud.clientConfig);
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: WORKLOADS_ROLE, RoleSessionName: 'e2e' })))
      .Credentials!;
    await ec2(HOME, {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    }).send(
      new RunInstancesCommand({
        ImageId: v1.amiIds[HOME],
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    // v2: only an older, non-default version of a launch template names it.
    const lt = await ec2().send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'web',
        LaunchTemplateData: { ImageId: v8.amiIds[HOME], InstanceType: 't3.micro' },
      }),
    );
    await ec2().send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: lt.LaunchTemplate!.LaunchTemplateId,
        LaunchTemplateData: { ImageId: v2.amiIds[HOME], InstanceType: 't3.micro' },
      }),
    );
    // v3: an SSM parameter a team pins it with.
    await new SSMClient(cloud.clientConfig).send(
      new PutParameterCommand({
        Name: '/team/pinned-base',
        Value: v3.amiIds[HOME],
        Type: 'String',
        DataType: 'aws:ec2:image',
      }),
    );
    // v5: a legal hold.
    const held = await amictl(
      'hold',
      'add',
      '--image',
      `${GOLDEN}@${v5.version}`,
      '--reason',
      'litigation',
      '--owner',
      'legal@example.com',
      '--ticket',
      'LEGAL-7',
    );
    expect(held.code).toBe(0);
    const holdId = held.out.split('\n')[0]!.trim().split(/\s+/)[0]!;
    expect((await ami(HOME, v5.amiIds[HOME]!))?.DeregistrationProtection).toMatch(/^enabled/);

    // Act: the days pass; the day-4 sweep runs on the schedule, after v6 was launched (and stopped) once.
    const day4 = Date.parse(START) + 4 * DAY * 1000;
    await cloud.clock.advance((day4 - cloud.clock.nowMillis()) / 1000 - 2 * HOUR);
    const launched = await ec2().send(
      new RunInstancesCommand({
        ImageId: golden[5]!.amiIds[HOME],
        InstanceType: 't3.micro',
        MinCount: 1,
        MaxCount: 1,
      }),
    );
    await ec2().send(new TerminateInstancesCommand({ InstanceIds: [launched.Instances![0]!.InstanceId!] }));
    const plan = await planOf(sweepIdAt(day4));

    // Assert: each kept for its reason; v7, used by nothing, is deprecated.
    expect(plan.guard).toEqual({ status: 'ok', reasons: [] });
    expect(decision(plan, v1)).toMatchObject({ decision: 'keep', codes: expect.arrayContaining(['in-use']) });
    expect(decision(plan, v2)).toMatchObject({ decision: 'keep', codes: expect.arrayContaining(['in-use']) });
    expect(decision(plan, v3)).toMatchObject({ decision: 'keep', codes: expect.arrayContaining(['in-use']) });
    expect(decision(plan, v4)).toMatchObject({
      decision: 'keep',
      codes: expect.arrayContaining(['parent-of-kept']),
    });
    expect(decision(plan, v5)).toMatchObject({ decision: 'keep', codes: expect.arrayContaining(['held']) });
    expect(decision(plan, golden[5]!)).toMatchObject({
      decision: 'keep',
      codes: expect.arrayContaining(['in-use']),
    });
    expect(decision(plan, v8)).toMatchObject({
      decision: 'keep',
      codes: expect.arrayContaining(['channel-target']),
    });
    expect(decision(plan, v7)).toEqual({ decision: 'deprecate', codes: ['expired-count'] });
    const reasons = (image: Image) =>
      plan.decisions
        .find((d) => d.version === image.version && d.family === GOLDEN)!
        .reasons.map((r) => r.message)
        .join(' ');
    expect(reasons(v1)).toContain('222222222222');
    expect(reasons(v2)).toContain('launch-template');
    expect(reasons(v3)).toContain('/team/pinned-base');
    await minuteByMinute('v7 deprecated', async () => (await state(v7)) === 'deprecated', HOUR);
    for (const region of [HOME, OTHER])
      expect((await ami(region, v7.amiIds[region]!))?.DeprecationTime).toBeDefined();

    // The hold is released: its protection goes.
    expect((await amictl('hold', 'remove', holdId, '--reason', 'case closed')).code).toBe(0);
    expect((await ami(HOME, v5.amiIds[HOME]!))?.DeregistrationProtection ?? 'disabled').toMatch(/^disabled/);
  }, 900_000);

  it('takes an unused image through deprecated, disabled and retired with its snapshots, a stage per grace, and the released one after it', async () => {
    const v5 = golden[4]!;
    const v7 = golden[6]!;
    const snapshots = async (region: string, image: Image) =>
      (
        await ec2(region).send(
          new DescribeSnapshotsCommand({
            OwnerIds: ['self'],
            Filters: [
              { Name: 'tag:ami-lifecycle:version', Values: [image.version] },
              { Name: 'tag:ami-lifecycle:family', Values: [GOLDEN] },
            ],
          }),
        )
      ).Snapshots ?? [];
    expect((await snapshots(OTHER, v7)).length).toBeGreaterThan(0);

    // A stage per daily sweep once its two days of grace have passed: v7 was deprecated on day 4, v5 (its
    // hold released that day) is deprecated on day 5; each is disabled two days later and retired two after.
    const seen: string[] = [];
    for (const day of [5, 6, 7, 8, 9]) {
      await runSweep(day);
      seen.push(`day ${day}: v7 ${await state(v7)}, v5 ${await state(v5)}`);
      if (day === 6) expect((await ami(HOME, v7.amiIds[HOME]!))?.State).toBe('disabled');
    }
    expect(seen).toEqual([
      'day 5: v7 deprecated, v5 deprecated',
      'day 6: v7 disabled, v5 deprecated',
      'day 7: v7 disabled, v5 disabled',
      'day 8: v7 retired, v5 disabled',
      'day 9: v7 retired, v5 retired',
    ]);
    for (const region of [HOME, OTHER]) {
      expect(await ami(region, v7.amiIds[region]!)).toBeUndefined();
      expect(await snapshots(region, v7)).toEqual([]);
    }
    // The day-8 sweep says what v7's retirement freed: its 8 GiB root snapshot in each region, priced per region.
    const day8 = pipeline
      .ingested('Retention Sweep Completed', GOLDEN)
      .find((d) => (d as { sweepId: string }).sweepId === sweepIdAt(Date.parse(START) + 8 * DAY * 1000));
    expect(day8).toMatchObject({
      counts: expect.objectContaining({ retire: 1 }),
      snapshotGiBFreed: 16,
      monthlyStorageCostSaved: { amount: 0.83, currency: 'USD' },
    });
    const timeline = (await pipeline.catalog.listAudit(GOLDEN, v7.version, { limit: 100 })).items
      .filter((r) => r.to !== undefined)
      .map((r) => r.to);
    expect(timeline.slice(-3)).toEqual(['deprecated', 'disabled', 'retired']);
    expect(pipeline.ingested('Image Retired', GOLDEN)).toEqual([
      expect.objectContaining({ version: v7.version, imageId: v7.amiIds[HOME] }),
      expect.objectContaining({ version: v5.version, imageId: v5.amiIds[HOME] }),
    ]);

    const v5States = (await pipeline.catalog.listAudit(GOLDEN, v5.version, { limit: 100 })).items
      .filter((r) => r.to !== undefined)
      .map((r) => r.to);
    expect(v5States.slice(-3)).toEqual(['deprecated', 'disabled', 'retired']);
    // Nothing used, held or pointed to was touched.
    for (const image of [golden[0]!, golden[1]!, golden[2]!, golden[3]!, golden[7]!])
      expect(await state(image)).toBe('published');
  }, 900_000);

  it('changes nothing and says why when a policy change would retire more than the cap; a changed policy’s first sweep only plans; a retirement a crash cut short is finished by the next sweep, once', async () => {
    const v6 = golden[5]!;
    const withCap = async (maxRetirementsPerRun: number) => {
      const policy = parsePolicy(policyText(), 'example');
      await pipeline.storeOrganization({ ...policy, sweep: { ...policy.sweep, maxRetirementsPerRun } });
    };
    await runSweep(10);
    expect(await state(v6)).toBe('disabled');

    // A policy change: no retirement allowed. Day 11 would retire v6; the guard trips, and nothing changes.
    await withCap(0);
    const tripped = await runSweep(11);
    expect(tripped.guard.status).toBe('tripped');
    expect(tripped.actions).toEqual([]);
    expect(await state(v6)).toBe('disabled');
    const said = pipeline
      .ingested('Retention Sweep Completed', GOLDEN)
      .find((d) => (d as { sweepId: string }).sweepId === tripped.sweepId);
    expect(said).toMatchObject({ guard: { verdict: 'tripped', reason: expect.stringContaining('0') } });

    // The cap back: a changed policy's first sweep only plans, and says so.
    await withCap(40);
    const planned = await runSweep(12);
    expect(planned.actions).toEqual([]);
    expect(planned.withheld).toEqual([
      { family: APP, reason: expect.stringContaining("the organisation's policy changed") },
      { family: GOLDEN, reason: expect.stringContaining("the organisation's policy changed") },
    ]);
    expect(planned.decisions.find((d) => d.version === v6.version && d.family === GOLDEN)?.decision).toBe(
      'retire',
    );
    expect(await state(v6)).toBe('disabled');

    // The first DeregisterImage deregisters, but its answer is lost.
    await pipeline.injectFault({
      service: 'ec2',
      operation: 'DeregisterImage',
      crash: 'after',
      crashTimes: 1,
    });
    const crashed = await runSweep(13);
    expect(crashed.actions.map((a) => `${a.version} ${a.decision}`)).toEqual([`${v6.version} retire`]);
    // The operator hears of it where they look: the sweep's event counts the failed action.
    expect(
      pipeline
        .ingested('Retention Sweep Completed', GOLDEN)
        .find((d) => (d as { sweepId: string }).sweepId === crashed.sweepId),
    ).toMatchObject({ schemaVersion: 2, actions: { done: 0, skipped: 0, failed: 1 } });
    // The crash came after EC2 deregistered the first copy: the catalog still says disabled.
    const left12 = await Promise.all(
      [HOME, OTHER].map(async (r) => (await ami(r, v6.amiIds[r]!))?.State ?? 'gone'),
    );
    expect(left12.sort()).toEqual(['disabled', 'gone']);
    expect(await state(v6)).toBe('disabled');
    expect(
      pipeline
        .ingested('Image Retired', GOLDEN)
        .filter((d) => (d as { version: string }).version === v6.version),
    ).toEqual([]);

    // The next sweep finishes it: both regions gone, no snapshot left, one Image Retired, one transition.
    await runSweep(14);
    expect(await state(v6)).toBe('retired');
    for (const region of [HOME, OTHER]) expect(await ami(region, v6.amiIds[region]!)).toBeUndefined();
    for (const region of [HOME, OTHER]) {
      const left = await ec2(region).send(
        new DescribeSnapshotsCommand({
          OwnerIds: ['self'],
          Filters: [
            { Name: 'tag:ami-lifecycle:family', Values: [GOLDEN] },
            { Name: 'tag:ami-lifecycle:version', Values: [v6.version] },
          ],
        }),
      );
      expect(left.Snapshots ?? []).toEqual([]);
    }
    expect(
      pipeline
        .ingested('Image Retired', GOLDEN)
        .filter((d) => (d as { version: string }).version === v6.version),
    ).toHaveLength(1);
    const retirements = (await pipeline.catalog.listAudit(GOLDEN, v6.version, { limit: 100 })).items.filter(
      (r) => r.to === 'retired',
    );
    expect(retirements).toHaveLength(1);

    // What an operator sees: the stored sweep with each action's outcome, and a fresh plan from live inventory.
    const shown = await amictl('retention', 'show', sweepIdAt(Date.parse(START) + 14 * DAY * 1000), '--json');
    expect(shown.code).toBe(0);
    expect(JSON.stringify(JSON.parse(shown.out))).toContain(v6.version);
    const preview = await amictl('retention', 'plan', '--family', GOLDEN, '--json');
    expect(preview.code).toBe(0);
    const previewPlan = JSON.parse(preview.out) as RetentionPlan;
    expect(previewPlan.decisions.find((d) => d.version === golden[0]!.version)).toMatchObject({
      decision: 'keep',
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'in-use' })]),
    });
    expect(previewPlan.decisions.some((d) => d.version === v6.version)).toBe(false);
    // Least privilege: every AWS action the sweep's functions made is in their roles, except what they ask
    // of the workloads account under its own role (the policy's roleArn), which the local cloud cannot tell
    // apart from the function's own calls.
    const underAccountRole = new Set([
      'ec2:DescribeInstances',
      'ec2:DescribeLaunchTemplates',
      'ec2:DescribeLaunchTemplateVersions',
    ]);
    expect(cloud.lambda!.undeclaredActions().filter((u) => !underAccountRole.has(u.action))).toEqual([]);
  }, 900_000);

  it('changes nothing and says why when one region’s inventory comes in too late to be trusted', async () => {
    // One region's EC2 answers DescribeImageReferences 40 simulated minutes late; the other at once. The
    // plan's inventory is as old as its oldest reading: older than the policy's 30 minutes.
    const before = await Promise.all(golden.map(state));
    await pipeline.injectFault({
      service: 'ec2',
      operation: 'DescribeImageReferences',
      region: OTHER,
      latencyMs: 40 * 60_000,
    });
    const at = Date.parse(START) + 15 * DAY * 1000;
    await cloud.clock.advance((at - cloud.clock.nowMillis()) / 1000 - 60);
    let plan: RetentionPlan | undefined;
    for (let minute = 0; plan === undefined; minute += 1) {
      if (minute > 120) throw new Error(`no plan two hours into the sweep:\n${await sweeps()}`);
      // The slow region's reading is held on the simulated clock: waiting for it in real time is pointless.
      await cloud.lambda?.drain(200);
      plan = await pipeline.catalog.getPlan(sweepIdAt(at));
      if (plan === undefined) await cloud.clock.advance(60);
    }
    await pipeline.injectFault({
      clear: true,
      service: 'ec2',
      operation: 'DescribeImageReferences',
      region: OTHER,
    });
    await minuteByMinute(
      'the stale sweep ended',
      async () =>
        pipeline
          .ingested('Retention Sweep Completed')
          .some((d) => (d as { sweepId: string }).sweepId === plan!.sweepId),
      2 * HOUR,
    );

    expect(plan.guard).toEqual({
      status: 'tripped',
      reasons: [expect.stringMatching(/^inventory is 4\d minutes old; the limit is 30$/)],
    });
    expect(plan.actions).toEqual([]);
    expect(Date.parse(plan.generatedAt) - Date.parse(plan.inventoryAt)).toBeGreaterThanOrEqual(40 * 60_000);
    expect(await Promise.all(golden.map(state))).toEqual(before);
    const said = pipeline
      .ingested('Retention Sweep Completed', GOLDEN)
      .find((d) => (d as { sweepId: string }).sweepId === plan!.sweepId);
    expect(said).toMatchObject({
      guard: { verdict: 'tripped', reason: expect.stringContaining('minutes old') },
    });
  }, 600_000);
});
