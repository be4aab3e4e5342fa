import type { Clock, ParameterPort } from '@ami-lifecycle/core';
import type { MemoryImages } from './memory-images';
import { SimulatedAwsError } from './simulated-aws-error';

export interface MemoryParametersOptions {
  clock: Clock;
  /** The same region's images: validation asks them whether an AMI id is available. */
  images: MemoryImages;
  /** Simulated seconds from a put until AWS has validated it. Default 2. */
  validationSeconds?: number;
}

/** A put AWS has answered but not validated yet. */
export interface PendingPut {
  name: string;
  value: string;
  version: number;
  validatesAt: Date;
}

/** Both AMI id lengths EC2 has issued. */
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** Names AWS reserves for itself: `aws...`/`ssm...`, with or without a leading slash, any case. */
const RESERVED_NAME = /^\/?(aws|ssm)/i;

/**
 * `ParameterPort` in memory with Parameter Store's asynchronous validation of `aws:ec2:image` values:
 * `putImageParameter` answers the next version at once, but the value shows in `getParameter` only
 * `validationSeconds` later on the injected clock, and only if the image was `available` in this
 * region's `MemoryImages` at that moment. A put that fails validation leaves the parameter as it was
 * (absent, for a new one) and its version number is given out again; another put of the same name
 * while one is being validated is refused with `TooManyUpdates`, as the local cloud does. Validation is
 * settled lazily on the next call, judged as of its due time.
 */
export class MemoryParameters implements ParameterPort {
  private readonly clock: Clock;
  private readonly images: MemoryImages;
  private readonly validationMs: number;
  private readonly visible = new Map<string, { value: string; version: number }>();
  private pending: (PendingPut & { dueMs: number })[] = [];
  private readonly refused = new Set<string>();

  constructor(options: MemoryParametersOptions) {
    this.clock = options.clock;
    this.images = options.images;
    this.validationMs = (options.validationSeconds ?? 2) * 1000;
  }

  async putImageParameter(name: string, amiId: string): Promise<{ version: number }> {
    // What AWS checks synchronously: the name and the shape of the value; the image itself comes later.
    if (RESERVED_NAME.test(name))
      throw new SimulatedAwsError(
        'ValidationException',
        `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive): ${name}`,
      );
    if (!AMI_ID.test(amiId))
      throw new SimulatedAwsError(
        'ValidationException',
        `Parameter value ${amiId} isn't a valid Amazon EC2 image ID; data type aws:ec2:image needs a value such as ami-12345abcdeEXAMPLE.`,
      );
    this.settle();
    // AWS refuses a write while the previous one's value is still being validated, so at most one put
    // per name is pending and versions follow put order.
    if (this.pending.some((p) => p.name === name))
      throw new SimulatedAwsError(
        'TooManyUpdates',
        `Validation of the aws:ec2:image value of parameter ${name} is still in progress. Try again once it has finished.`,
      );
    // A version that failed validation never existed, so its number is given out again.
    const version = (this.visible.get(name)?.version ?? 0) + 1;
    const dueMs = this.clock.now().getTime() + this.validationMs;
    this.pending.push({ name, value: amiId, version, validatesAt: new Date(dueMs), dueMs });
    return { version };
  }

  async getParameter(name: string): Promise<{ value: string; version: number } | undefined> {
    return this.current(name);
  }

  /**
   * What `getParameter` answers, synchronously: `createMemoryRegions` lets the region's `MemoryImages`
   * resolve parameters through it. Parameters only the images fake holds (the public
   * `/aws/service/...` ones, `putParameter` seeds) read as version 1.
   */
  current(name: string): { value: string; version: number } | undefined {
    this.settle();
    const own = this.visible.get(name);
    if (own) return { ...own };
    const value = this.images.parameter(name);
    return value === undefined ? undefined : { value, version: 1 };
  }

  // --- test controls -------------------------------------------------------------------------------

  /** Makes every validation of `amiId` that is still due fail, as for an image the account may not use. */
  refuseImage(amiId: string): void {
    this.refused.add(amiId);
  }

  /** Puts answered but not yet validated, oldest first. */
  pendingPuts(): PendingPut[] {
    this.settle();
    return this.pending.map(({ dueMs: _d, ...p }) => ({ ...p, validatesAt: new Date(p.validatesAt) }));
  }

  private settle(): void {
    const nowMs = this.clock.now().getTime();
    const due = this.pending.filter((p) => p.dueMs <= nowMs).sort((a, b) => a.dueMs - b.dueMs);
    this.pending = this.pending.filter((p) => p.dueMs > nowMs);
    for (const p of due) {
      const valid =
        !this.refused.has(p.value) && this.images.stateAt(p.value, new Date(p.dueMs)) === 'available';
      if (valid) this.visible.set(p.name, { value: p.value, version: p.version });
    }
  }
}
