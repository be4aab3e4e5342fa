import { type ComputePort, UnmanagedInstanceError, ValidationError } from '@ami-lifecycle/core';
import { ResourceNotFoundError } from '../../src';

/** What the lifecycle services launch: only instances carrying it may be stopped or terminated. */
const builderTags = { 'ami-lifecycle:managed': 'true', Name: 'builder' };

/** What a compute contract run needs: the port, the clock, and an AMI it may launch. */
export interface ComputeSubject {
  port: ComputePort;
  /** Moves simulated time on (the local cloud's clock, or the fake's). */
  advance(seconds: number): Promise<void>;
  /** An available AMI the port can launch (the public AL2023 image on both sides). */
  launchableImageId(): Promise<string>;
  close?(): Promise<void>;
}

/** The behaviour every `ComputePort` adapter must have; the subject is shared by the suite's tests. */
export const describeComputeContract = (name: string, makeSubject: () => Promise<ComputeSubject>): void => {
  describe(`${name} (compute contract)`, () => {
    let s: ComputeSubject;
    let compute: ComputePort;
    beforeAll(async () => {
      s = await makeSubject();
      compute = s.port;
    });
    afterAll(async () => {
      await s?.close?.();
    });

    const launch = async (tags: Record<string, string> = builderTags, clientToken?: string) => {
      const imageId = await s.launchableImageId();
      const { instanceId } = await compute.launchInstance({
        imageId,
        instanceType: 't3.micro',
        instanceProfile: 'ami-lifecycle-builder',
        tags,
        rootVolume: { sizeGiB: 16, encrypted: true },
        ...(clientToken ? { clientToken } : {}),
      });
      return { instanceId, imageId };
    };
    const launchRunning = async (tags?: Record<string, string>) => {
      const launched = await launch(tags);
      await s.advance(60);
      return launched;
    };

    it('launches an instance that is pending, then running', async () => {
      const { instanceId } = await launch();

      const pending = await compute.describeInstance(instanceId);
      await s.advance(60);

      expect(pending?.state).toBe('pending');
      expect((await compute.describeInstance(instanceId))?.state).toBe('running');
    });

    it('describes a running instance with its tags and launch time', async () => {
      const { instanceId, imageId } = await launchRunning({ Name: 'described' });

      const described = await compute.describeInstance(instanceId);

      expect(described).toEqual({
        instanceId,
        state: 'running',
        imageId,
        launchedAt: expect.stringMatching(/^2026-03-01T/),
        tags: { Name: 'described' },
      });
    });

    it('answers the same instance to a launch retried with its client token', async () => {
      const first = await launch({ Name: 'retried' }, 'build-b-retry-1');
      const again = await launch({ Name: 'retried' }, 'build-b-retry-1');

      expect(again.instanceId).toBe(first.instanceId);
    });

    it('answers undefined for an instance that does not exist', async () => {
      expect(await compute.describeInstance('i-0123456789abcdef0')).toBeUndefined();
    });

    it('refuses a launch request that does not match its schema, before calling EC2', async () => {
      await expect(
        compute.launchInstance({
          imageId: 'not-an-ami',
          instanceType: 't3.micro',
          instanceProfile: 'p',
          tags: {},
          rootVolume: { sizeGiB: 0, encrypted: true },
        }),
      ).rejects.toBeInstanceOf(ValidationError);
    });

    it('names an AMI that does not exist as not found', async () => {
      await expect(
        compute.launchInstance({
          imageId: 'ami-0123456789abcdef0',
          instanceType: 't3.micro',
          instanceProfile: 'ami-lifecycle-builder',
          tags: {},
          rootVolume: { sizeGiB: 16, encrypted: true },
        }),
      ).rejects.toBeInstanceOf(ResourceNotFoundError);
    });

    it('stops an instance', async () => {
      const { instanceId } = await launchRunning();

      await compute.stopInstance(instanceId);
      await s.advance(60);

      expect((await compute.describeInstance(instanceId))?.state).toBe('stopped');
    });

    it('names an instance that does not exist as not found when asked to stop it', async () => {
      await expect(compute.stopInstance('i-0123456789abcdef1')).rejects.toBeInstanceOf(ResourceNotFoundError);
    });

    it('terminates idempotently: twice, and for an instance that never existed', async () => {
      const { instanceId } = await launchRunning();

      await compute.terminateInstance(instanceId);
      await s.advance(60);
      await compute.terminateInstance(instanceId);
      await compute.terminateInstance('i-0fedcba9876543210');

      expect((await compute.describeInstance(instanceId))?.state).toBe('terminated');
    });

    it.each([
      ['tagged managed=TRUE (wrong case)', { 'ami-lifecycle:managed': 'TRUE', Name: 'not-ours' }],
      ['untagged', {}],
    ])(
      'refuses to stop or terminate an unmanaged instance (%s) and leaves it running',
      async (_label, tags) => {
        const { instanceId } = await launchRunning(tags);

        await expect(compute.stopInstance(instanceId)).rejects.toBeInstanceOf(UnmanagedInstanceError);
        await expect(compute.terminateInstance(instanceId)).rejects.toBeInstanceOf(UnmanagedInstanceError);
        await s.advance(60);

        expect((await compute.describeInstance(instanceId))?.state).toBe('running');
      },
    );

    it('finds live instances by tag and leaves terminated ones out', async () => {
      const kept = await launchRunning({ ...builderTags, 'ami-lifecycle:build-id': 'b-find' });
      const gone = await launchRunning({ ...builderTags, 'ami-lifecycle:build-id': 'b-find' });
      await launchRunning({ 'ami-lifecycle:build-id': 'other' });
      await compute.terminateInstance(gone.instanceId);
      await s.advance(60);

      const found = await compute.findInstancesByTag('ami-lifecycle:build-id', 'b-find');

      expect(found.map((i) => i.instanceId)).toEqual([kept.instanceId]);
    });
  });
};
