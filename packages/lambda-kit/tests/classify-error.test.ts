import {
  ChannelConflictError,
  ConfigVersionConflictError,
  CorruptItemError,
  HoldAlreadyExistsError,
  ImageAlreadyExistsError,
  ImageNotFoundError,
  PlanAlreadyExistsError,
  StaleImageError,
  TransitionConflictError,
} from '@ami-lifecycle/catalog';
import {
  type ContractViolationError,
  parseEventBridgeEvent,
  UnknownDetailTypeError,
} from '@ami-lifecycle/contracts';
import {
  FamilyNotConfiguredError,
  IllegalTransitionError,
  InvalidAmiNameError,
  InvalidVersionError,
  PublicSharingRefusedError,
  UnmanagedImageError,
  UnmanagedInstanceError,
  UnmanagedSnapshotError,
  ValidationError,
} from '@ami-lifecycle/core';
import { z } from 'zod';
import { classifyError, InvalidEventError } from '../src';

const zodError = (): z.ZodError => {
  const result = z.object({ a: z.string() }).safeParse({});
  if (result.success) throw new Error('expected a failure');
  return result.error;
};

const contractViolation = (): ContractViolationError => {
  try {
    parseEventBridgeEvent({});
  } catch (error) {
    return error as ContractViolationError;
  }
  throw new Error('expected a contract violation');
};

describe('classifyError', () => {
  describe('drops invalid messages, because the same bytes fail the same way on every retry', () => {
    it.each([
      ['a contract violation', contractViolation()],
      ['an unknown detail-type', new UnknownDetailTypeError('Image Teleported', ['Image Built'])],
      ['an event failing its handler schema', new InvalidEventError('h', zodError())],
    ])('%s', (_, error) => {
      expect(error).toBeInstanceOf(Error);
      expect(classifyError(error)).toBe('drop-invalid');
    });
  });

  it('retries a bare zod error, which from inside a use case means a bug, not a bad message', () => {
    expect(classifyError(zodError())).toBe('retry');
  });

  describe('drops duplicates: a create that already happened', () => {
    it.each([
      ['an image that already exists', new ImageAlreadyExistsError('golden', '1')],
      ['a plan that already exists', new PlanAlreadyExistsError('sweep-1')],
      ['a hold that already exists', new HoldAlreadyExistsError('hold-1')],
    ])('%s', (_, error) => {
      expect(classifyError(error)).toBe('drop-duplicate');
    });
  });

  describe('drops a transition whose target can no longer be reached: the image already moved', () => {
    it.each([
      ['already in the target state', 'published', 'published'],
      ['already past the target', 'deprecated', 'published'],
      ['on another branch', 'rejected', 'published'],
      ['in a terminal state', 'retired', 'disabled'],
    ])('%s', (_, from, to) => {
      expect(classifyError(new IllegalTransitionError(from, to, 'refused'))).toBe('drop-duplicate');
    });
  });

  it('retries a transition whose target is still ahead, since an earlier event may not have landed yet', () => {
    expect(classifyError(new IllegalTransitionError('built', 'approved', 'skips inspecting'))).toBe('retry');
    expect(classifyError(new IllegalTransitionError('published', 'retired', 'skips a stage'))).toBe('retry');
  });

  describe('retries lost optimistic-lock races, because a re-run re-reads and decides again', () => {
    const stamp = { state: 'inspecting', stateVersion: 3 } as const;
    it.each([
      ['a stale image', new StaleImageError('golden', '1', { stateVersion: 2 }, stamp)],
      ['a transition conflict', new TransitionConflictError('golden', '1', 'built', 'inspecting', 2, stamp)],
      ['a config version conflict', new ConfigVersionConflictError('golden', 1, 2)],
      ['a channel conflict', new ChannelConflictError('golden', 'stable', 1, 2)],
    ])('%s', (_, error) => {
      expect(classifyError(error)).toBe('retry');
    });
  });

  describe('rejects refusals that a retry meets again: the event goes to the dead letters at once', () => {
    it.each([
      ['an image that is not ours', new UnmanagedImageError('ami-1', 'deregister')],
      ['an instance that is not ours', new UnmanagedInstanceError('i-1', 'terminate')],
      ['a snapshot that is not ours', new UnmanagedSnapshotError('snap-1', 'delete')],
      ['a family without a stored config', new FamilyNotConfiguredError('nobody')],
      ['public sharing', new PublicSharingRefusedError('ami-1', 'all')],
      ['a domain validation error', new ValidationError('policy', [])],
      ['an invalid version', new InvalidVersionError('1.x')],
      ['an invalid AMI name', new InvalidAmiNameError('a/b')],
    ])('%s', (_, error) => {
      expect(classifyError(error)).toBe('reject');
    });
  });

  it.each([
    ['an image not found yet', new ImageNotFoundError('golden', '1')],
    ['a corrupt item', new CorruptItemError({ PK: 'p', SK: 's' }, [])],
    ['an unknown error', new Error('socket hang up')],
    ['a thrown non-error', 'boom'],
    ['an illegal transition between unknown states', new IllegalTransitionError('x', 'y', 'why')],
  ])('retries everything else: %s', (_, error) => {
    expect(classifyError(error)).toBe('retry');
  });
});
