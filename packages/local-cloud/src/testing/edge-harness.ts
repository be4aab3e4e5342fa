import {
  type AccountSpec,
  Accounts,
  DEFAULT_ACCOUNTS,
  DEFAULT_ORGANIZATION,
  type OrganizationSpec,
} from '../accounts';
import { startEdge } from '../server';
import { SimClock } from '../sim-clock';
import type { CloudContext, CloudEvent, EmulatedService } from '../types';

/** The cloud's default accounts; tests name them by these constants. */
export const TEST_ACCOUNTS: AccountSpec[] = DEFAULT_ACCOUNTS.map((a) => ({ ...a }));
export const TEST_ORGANIZATION: OrganizationSpec = { ...DEFAULT_ORGANIZATION };

/**
 * A bare edge with the given services on a free port, for testing one emulator through the real SDK
 * without the rest of the cloud. The clock stands still until the test advances it.
 */
export const startTestEdge = async (
  makeServices: (ctx: CloudContext) => EmulatedService[],
  opts: { start?: string } = {},
) => {
  const emitted: CloudEvent[] = [];
  /** Operations whose asynchronous outcome fails while listed here: `ec2:CreateImage`. */
  const asyncFailures = new Set<string>();
  const ctx: CloudContext = {
    clock: new SimClock(opts.start ?? '2026-03-01T00:00:00.000Z'),
    accounts: new Accounts(TEST_ACCOUNTS, TEST_ORGANIZATION),
    faults: { asyncFailure: (service, operation) => asyncFailures.has(`${service}:${operation}`) },
    events: { emit: (e) => emitted.push(e) },
  };
  const services = makeServices(ctx);
  const edge = await startEdge({
    port: 0,
    context: ctx,
    services,
    control: async () => ({ status: 404, body: { error: 'no control API in the test edge' } }),
  });
  return {
    ...ctx,
    emitted,
    asyncFailures,
    services,
    endpoint: edge.endpoint,
    /** SDK client config for an account: keys the cloud did not issue act in the default account. */
    clientConfig: {
      endpoint: edge.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    close: async () => {
      ctx.clock.stop();
      await edge.close();
    },
  };
};
