import type { QueryParams } from '../../protocols/query';
import type { CloudContext } from '../../types';
import type { RegionStore, StateReason } from './model';
import type { Ec2State } from './state';
import type { XmlFields } from './xml';

/** Tunables of the emulator; every duration is simulated time. */
export interface Ec2ServiceOptions {
  /** CreateImage: seconds until the image is `available` (or `failed`). Default 600, ten minutes. */
  imageCreationSeconds?: number;
  /** CopyImage: seconds until the copy is `available` (or `failed`). Default 600. */
  imageCopySeconds?: number;
  /** Seconds each instance transition takes (pending -> running, stopping -> stopped, ...). Default 30. */
  instanceTransitionSeconds?: number;
  /** How long a terminated instance stays visible, as EC2 keeps it for about an hour. Default 3600. */
  terminatedInstanceRetentionSeconds?: number;
  /** The StateReason of an image whose creation or copy the fault injector fails. */
  asyncFailureReason?: StateReason;
  /**
   * Resolves `resolve:ssm:<parameter>` image ids of launch templates. SSM is a separate emulator, so the
   * cloud wires it in; without it such launch templates are refused at launch.
   */
  resolveSsmParameter?: (accountId: string, region: string, name: string) => string | undefined;
}

export type ResolvedEc2Options = Required<Omit<Ec2ServiceOptions, 'resolveSsmParameter'>> &
  Pick<Ec2ServiceOptions, 'resolveSsmParameter'>;

export const resolveOptions = (o: Ec2ServiceOptions): ResolvedEc2Options => ({
  imageCreationSeconds: o.imageCreationSeconds ?? 600,
  imageCopySeconds: o.imageCopySeconds ?? 600,
  instanceTransitionSeconds: o.instanceTransitionSeconds ?? 30,
  terminatedInstanceRetentionSeconds: o.terminatedInstanceRetentionSeconds ?? 3600,
  asyncFailureReason: o.asyncFailureReason ?? {
    code: 'Server.InternalError',
    message: 'An internal error has occurred (injected by the local cloud fault injector)',
  },
  resolveSsmParameter: o.resolveSsmParameter,
});

/** What one operation works with: its parameters, the caller, the caller's region store. */
export interface OpContext {
  readonly action: string;
  readonly params: QueryParams;
  readonly accountId: string;
  readonly principalArn: string;
  readonly region: string;
  readonly requestId: string;
  readonly store: RegionStore;
  readonly state: Ec2State;
  readonly cloud: CloudContext;
  readonly options: ResolvedEc2Options;
}

/** One EC2 action: returns the members of its `<XResponse>` after `requestId`. */
export type Handler = (op: OpContext) => XmlFields;

export const nowIso = (op: Pick<OpContext, 'cloud'>): string => op.cloud.clock.now().toISOString();
