import { InvalidLaunchPermissionError } from '@ami-lifecycle/aws';
import {
  AmiNotVisibleYetError,
  BuilderNotOwnedError,
  BuilderNotReadyError,
} from '@ami-lifecycle/build-service';
import { ImageNotFoundError, StaleImageError } from '@ami-lifecycle/catalog';
import { PermanentError, StoredConfigInvalidError } from '@ami-lifecycle/core';
import {
  EventsNotSentError,
  HoldRefusedError,
  InventoryIncompleteError,
  PlanNotFoundError,
  RegionNotEnabledError,
} from '@ami-lifecycle/decommission-service';
import { ImageNotInspectableError } from '@ami-lifecycle/inspect-service';
import { classifyError } from '@ami-lifecycle/lambda-kit';
import {
  ImageNotPublishableError,
  PlanNotExecutableError,
  PublishRefusedError,
} from '@ami-lifecycle/publish-service';
import { RefreshApplyError, TriggerMismatchError } from '@ami-lifecycle/refresh-service';

/** An instance of the class without running its constructor: classification looks at the class only. */
const instanceOf = (cls: { prototype: object }) => Object.create(cls.prototype) as Error;

/**
 * Which service errors a handler keeps in the dead-letter queue at once (a retry meets them again), and
 * which it rethrows for a retry. Each line fails if its class moves to the other side.
 */
describe('refusals that a retry meets again are permanent', () => {
  it.each([
    ['an event whose image is not as the catalog holds it (inspect)', ImageNotInspectableError],
    ['an event whose image is not as the catalog holds it (publish)', ImageNotPublishableError],
    ['an event whose image is not as the catalog holds it (refresh)', TriggerMismatchError],
    ["an operator's request refused", PublishRefusedError],
    ['a publication plan no retry can carry out', PlanNotExecutableError],
    ["an instance that is not this build's builder", BuilderNotOwnedError],
    ['a sweep step naming a plan that does not exist', PlanNotFoundError],
    ['a sweep planned on a partial inventory', InventoryIncompleteError],
    ['a region the policy does not enable', RegionNotEnabledError],
    ['a launch permission that would make an image public', InvalidLaunchPermissionError],
    ['a hold request refused', HoldRefusedError],
  ])('%s', (_, cls) => {
    expect(instanceOf(cls)).toBeInstanceOf(PermanentError);
    expect(classifyError(instanceOf(cls))).toBe('reject');
  });
});

describe('errors a retry may cure are retried', () => {
  it.each([
    ['a builder not ready yet', BuilderNotReadyError],
    ['an AMI not visible yet', AmiNotVisibleYetError],
    ['events not sent after the catalog moved', EventsNotSentError],
    ['refresh decisions partly carried out', RefreshApplyError],
    ['an image not written yet', ImageNotFoundError],
    ['a lost optimistic-lock race', StaleImageError],
    ['a stored config this code cannot read (data or deployment, not the event)', StoredConfigInvalidError],
  ])('%s', (_, cls) => {
    expect(instanceOf(cls)).not.toBeInstanceOf(PermanentError);
    expect(classifyError(instanceOf(cls))).toBe('retry');
  });
});
