import { createHash } from 'node:crypto';
import { IN_PIPELINE_STATES } from './lifecycle';
import type { LifecycleState } from './model';

export interface BuildKeyInput {
  /** The AMI the builder starts from: the golden source, or the parent's published AMI. */
  sourceAmiId: string;
  configVersion: number;
  /** In run order; only names and commands count, since they are what changes the image. */
  components: readonly { name: string; commands: readonly string[] }[];
}

// Bump when the hashed shape changes, so old and new keys can never collide by accident.
const BUILD_KEY_SCHEMA = 'ami-lifecycle/build-key/v1';

/**
 * The build key of design 1 (refresh): a hex SHA-256 over the source AMI, the family config version and
 * the components. Equal inputs give equal keys whatever the property order of the input objects, because
 * the hashed text is built from arrays in a fixed order; component order is kept, since it is run order.
 */
export const buildKey = (input: BuildKeyInput): string =>
  createHash('sha256')
    .update(
      JSON.stringify([
        BUILD_KEY_SCHEMA,
        input.sourceAmiId,
        input.configVersion,
        input.components.map((c) => [c.name, [...c.commands]]),
      ]),
    )
    .digest('hex');

/**
 * The build id of one `Build Requested` delivery. Derived from the request's idempotency key, so a
 * redelivery gets the same id (and the same EC2 client token) and resumes instead of building twice.
 * 30 characters: fits a Step Functions execution name and EC2's 64-character client token.
 */
export const buildIdFor = (family: string, idempotencyKey: string): string =>
  `build-${createHash('sha256').update(`${family}\u0000${idempotencyKey}`).digest('hex').slice(0, 24)}`;

/**
 * States in which an image with the same build key makes a new build of it pointless (the refresh loop
 * guard): it is on its way or published. A rejected, failed or retired image does not count.
 */
export const SAME_INPUTS_STATES: ReadonlySet<LifecycleState> = new Set([...IN_PIPELINE_STATES, 'published']);
