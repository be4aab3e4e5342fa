import type { IncomingHttpHeaders } from 'node:http';
import type { Accounts, Principal } from './accounts';
import type { AwsError } from './errors';
import type { SimClock } from './sim-clock';

/** One request as a service sees it, after the edge has routed it and resolved the caller. */
export interface ServiceRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The region of the SigV4 credential scope. */
  region: string;
  principal: Principal;
  requestId: string;
}

export interface ServiceResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * An emulated AWS service. `operation` names the API action of a request (for faults and logs) before
 * it is handled; `renderError` writes an `AwsError` in the service's wire format.
 */
export interface EmulatedService {
  /** The SigV4 signing name that routes to it: `ec2`, `ssm`, `sts`, ... */
  readonly signingName: string;
  operation(req: ServiceRequest): string;
  handle(req: ServiceRequest, operation: string): Promise<ServiceResponse>;
  renderError(err: AwsError, req: ServiceRequest): ServiceResponse;
}

/**
 * What the fault injector tells services about work that finishes later on the simulated clock (an
 * image that becomes `failed` instead of `available`, a command that fails): request-level faults
 * (throttling, error rates, latency, crash points) are applied by the edge and never reach a service.
 */
export interface FaultView {
  /** `region`: the Region of the request that started the work, so Region-scoped rules apply to it. */
  asyncFailure(service: string, operation: string, region?: string): boolean;
}

/** What every service may use: the simulated clock, the modelled accounts, faults and the event sink. */
export interface CloudContext {
  clock: SimClock;
  accounts: Accounts;
  faults: FaultView;
  events: EventSink;
}

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

/**
 * A simulated EC2 instance as other services see it: SSM runs commands on it and changes its package
 * inventory; Inspector derives findings from that inventory; CreateImage captures it into the image.
 */
export interface SimInstance {
  instanceId: string;
  accountId: string;
  region: string;
  imageId: string;
  state: InstanceState;
  tags: Map<string, string>;
  /** Installed packages: name -> version. */
  packages: Map<string, string>;
  /** The instance profile ARN or name; SSM manages only instances that have one. */
  iamInstanceProfile?: string | undefined;
  launchedAt: number;
}

/** Read access to the instances EC2 owns, for the services that act on them. */
export interface InstanceDirectory {
  find(accountId: string, region: string, instanceId: string): SimInstance | undefined;
  list(accountId: string, region: string): SimInstance[];
}

/** An AWS service event (EC2 AMI State Change, ...) that part 2 delivers through EventBridge. */
export interface CloudEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  accountId: string;
  region: string;
  resources: string[];
  /** ISO time on the simulated clock. */
  time: string;
}

export interface EventSink {
  emit(event: CloudEvent): void;
}
