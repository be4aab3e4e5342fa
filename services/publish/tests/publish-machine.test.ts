import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  CopyFailedError,
  copyToRegions,
  ImageNotPublishableError,
  kmsKeyInRegion,
  PlanNotExecutableError,
  shareImage,
  writeParameters,
} from '../src';
import { candidate, createWorld, HOME, OTHER, planFor } from './support/world';

const FAMILY = 'golden-al2023';
const VERSION = '2026.03.01.1';

type Retrier = { ErrorEquals: string[]; MaxAttempts?: number };
const machine = parse(readFileSync(join(__dirname, '../../../statemachines/publish.asl.yaml'), 'utf8'), {
  customTags: [{ tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value }) }],
}) as {
  States: Record<
    string,
    {
      Type: string;
      Next?: string;
      Result?: unknown;
      ResultPath?: string;
      Parameters?: Record<string, unknown>;
      Retry?: Retrier[];
      Catch?: { ErrorEquals: string[]; Next: string }[];
    }
  >;
};

/** The retrier that decides for an error: the first whose ErrorEquals names it (or States.ALL). */
const retrierFor = (state: string, error: string) =>
  machine.States[state]?.Retry?.find(
    (r) =>
      r.ErrorEquals.includes(error) || (r.ErrorEquals.includes('States.ALL') && error !== 'States.Runtime'),
  );

describe('the publish state machine', () => {
  it.each([
    ['PlanPublication', PlanNotExecutableError.name, 'a single-Region key for a copy region'],
    ['CopyToRegions', CopyFailedError.name, 'the source image is gone'],
    ['CopyToRegions', PlanNotExecutableError.name, 'the plan has no key for a copy region'],
    ['ShareImage', ImageNotPublishableError.name, 'no AMI recorded in a region'],
    ['WriteParameters', ImageNotPublishableError.name, 'no AMI recorded in a region'],
  ])('%s does not retry %s (%s): a retry meets the same cause', (state, error) => {
    const retrier = retrierFor(state, error);
    expect(retrier?.ErrorEquals).toContain(error);
    expect(retrier?.MaxAttempts).toBe(0);
  });

  it.each([
    ['CopyToRegions', 'States.Timeout'],
    ['CopyToRegions', 'Lambda.Unknown'],
    ['WriteParameters', 'States.Timeout'],
  ])('%s retries %s: the step resumes and the lost attempt may have acted', (state, error) => {
    expect(retrierFor(state, error)?.MaxAttempts ?? 0).toBeGreaterThan(0);
  });
});

describe('the failure path', () => {
  it("hands RecordFailure the plan's parameters, and none when the publication stopped before planning", () => {
    expect(machine.States.RecordFailure?.Parameters).toMatchObject({ 'parameters.$': '$.plan.parameters' });
    // PlanPublication is the only step whose Catch runs without a plan: it goes through a Pass that gives one.
    const viaPlan = machine.States.PlanPublication?.Catch?.map((c) => c.Next) ?? [];
    expect(viaPlan).toHaveLength(1);
    for (const next of viaPlan) {
      expect(machine.States[next]).toMatchObject({
        Type: 'Pass',
        Result: { parameters: [] },
        ResultPath: '$.plan',
        Next: 'RecordFailure',
      });
    }
    for (const [name, state] of Object.entries(machine.States)) {
      if (name === 'PlanPublication' || name === 'RecordFailure') continue;
      for (const c of state.Catch ?? []) expect(c.Next).toBe('RecordFailure');
    }
  });
});

describe('what the steps throw for a plan or image they can never act on', () => {
  it('a single-Region key for another region is PlanNotExecutableError', () => {
    const key = `arn:aws:kms:${HOME}:111111111111:key/0123abcd-0123-0123-0123-0123456789ab`;
    expect(() => kmsKeyInRegion(key, HOME, OTHER)).toThrow(PlanNotExecutableError);
  });

  it('a source image gone before its copy is CopyFailedError; a plan without a key for a copy region is PlanNotExecutableError', async () => {
    const world = await createWorld();
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);

    await expect(
      copyToRegions({ request, plan: { ...plan, kmsKeyIds: { [HOME]: 'alias/ami-lifecycle' } } }, world.deps),
    ).rejects.toBeInstanceOf(PlanNotExecutableError);
    await world.region(HOME).images.deregisterImage(request.imageId, { deleteSnapshots: false });
    await expect(copyToRegions({ request, plan }, world.deps)).rejects.toBeInstanceOf(CopyFailedError);
  });

  it('sharing or writing parameters for a region without a recorded AMI is ImageNotPublishableError', async () => {
    const world = await createWorld();
    const { request } = await candidate(world, FAMILY, VERSION);
    const plan = planFor(world, FAMILY);

    await expect(shareImage({ request, plan }, world.deps)).rejects.toThrow(
      new ImageNotPublishableError(FAMILY, VERSION, `no AMI recorded in ${OTHER}`),
    );
    await expect(writeParameters({ request, plan }, world.deps)).rejects.toThrow(
      new ImageNotPublishableError(FAMILY, VERSION, `no AMI recorded in ${OTHER}`),
    );
  });
});
