import type { CloudContext } from '../../types';
import { nowIso, type OpContext, type ResolvedEc2Options } from './context';
import type { Ec2Image, Ec2Snapshot, ImageState } from './model';
import type { Ec2State, PendingImageCompletion } from './state';

export const AMI_STATE_CHANGE = 'EC2 AMI State Change';

export const imageArn = (image: Pick<Ec2Image, 'region' | 'imageId'>): string =>
  `arn:aws:ec2:${image.region}::image/${image.imageId}`;

/**
 * Emits `EC2 AMI State Change` with the detail EC2 documents (`RequestId`, `ImageId`, `State`,
 * `ErrorMessage`, empty unless the image failed) to the image owner's default bus.
 */
export const emitImageStateChange = (
  cloud: CloudContext,
  image: Ec2Image,
  state: Extract<ImageState, 'available' | 'failed' | 'deregistered' | 'disabled'>,
  requestId: string,
  errorMessage = '',
): void => {
  cloud.events.emit({
    source: 'aws.ec2',
    detailType: AMI_STATE_CHANGE,
    detail: { RequestId: requestId, ImageId: image.imageId, State: state, ErrorMessage: errorMessage },
    accountId: image.ownerId,
    region: image.region,
    resources: [imageArn(image)],
    time: cloud.clock.now().toISOString(),
  });
};

export interface NewSnapshot {
  volumeId: string;
  volumeSize: number;
  encrypted: boolean;
  kmsKeyId?: string | undefined;
  description: string;
  tags: Map<string, string>;
}

/** A `pending` snapshot of the caller's, completed by `scheduleImageCompletion`. */
export const createPendingSnapshot = (op: OpContext, spec: NewSnapshot): Ec2Snapshot => {
  const snapshot: Ec2Snapshot = {
    snapshotId: op.state.newId('snap'),
    ownerId: op.accountId,
    region: op.region,
    seq: op.state.nextSeq(),
    volumeId: spec.volumeId,
    volumeSize: spec.volumeSize,
    state: 'pending',
    progress: '0%',
    startTime: nowIso(op),
    description: spec.description,
    encrypted: spec.encrypted,
    kmsKeyId: spec.encrypted ? spec.kmsKeyId : undefined,
    tags: spec.tags,
  };
  op.store.snapshots.set(snapshot.snapshotId, snapshot);
  return snapshot;
};

/**
 * Finishes an image creation or copy `seconds` later on the simulated clock: its snapshots complete and
 * the image becomes `available`, or, when the fault injector failed it at request time, the snapshots
 * error and the image becomes `failed` with a StateReason. Either way the state change is emitted.
 */
export const scheduleImageCompletion = (
  op: OpContext,
  image: Ec2Image,
  snapshots: readonly Ec2Snapshot[],
  seconds: number,
  fail: boolean,
): void => {
  const now = op.cloud.clock.nowMillis();
  const completion: PendingImageCompletion = {
    imageId: image.imageId,
    region: image.region,
    snapshotIds: snapshots.map((s) => s.snapshotId),
    halfwayAt: now + (seconds * 1000) / 2,
    at: now + seconds * 1000,
    fail,
    requestId: op.requestId,
  };
  op.state.pendingImages.set(image.imageId, completion);
  armImageCompletion(op.cloud, op.state, op.options, completion);
};

/** Sets the clock tasks of a completion (a new one, or one restored from a state file). */
export const armImageCompletion = (
  cloud: CloudContext,
  state: Ec2State,
  options: ResolvedEc2Options,
  completion: PendingImageCompletion,
): void => {
  const store = state.region(completion.region);
  const snapshots = () =>
    completion.snapshotIds.flatMap((id) => {
      const s = store.snapshots.get(id);
      return s ? [s] : [];
    });
  // Halfway, snapshots report progress, so a poller sees work under way rather than a frozen 0%.
  if (completion.halfwayAt > cloud.clock.nowMillis()) {
    cloud.clock.at(completion.halfwayAt, () => {
      for (const s of snapshots()) if (s.state === 'pending') s.progress = '50%';
    });
  }
  cloud.clock.at(completion.at, () => {
    state.pendingImages.delete(completion.imageId);
    const { fail, requestId } = completion;
    const reason = options.asyncFailureReason;
    const at = cloud.clock.now().toISOString();
    for (const s of snapshots()) {
      if (s.state !== 'pending') continue;
      if (fail) {
        s.state = 'error';
        s.stateMessage = reason.message;
      } else {
        s.state = 'completed';
        s.progress = '100%';
        s.completionTime = at;
      }
    }
    const image = store.images.get(completion.imageId);
    // Deregistered while pending: the snapshots still settle, the image has nothing left to announce.
    if (image?.state !== 'pending') return;
    if (fail) {
      image.state = 'failed';
      image.stateReason = { ...reason };
      emitImageStateChange(cloud, image, 'failed', requestId, reason.message);
    } else {
      image.state = 'available';
      emitImageStateChange(cloud, image, 'available', requestId);
    }
  });
};
