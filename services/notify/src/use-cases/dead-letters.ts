import { recipientsFor } from '@ami-lifecycle/core';
import { type Delivery, deliver } from './deliver';
import { organizationNotify } from './policy';
import type { NotifyDeps, QueueDepthPort } from './ports';
import { because, renderDeadLetters } from './render';

export interface DeadLettersResult {
  count: number;
  /** Why nothing was sent: the queue is empty, the count has not changed since it was told, nobody is told. */
  skipped?: string;
  delivery?: Delivery;
}

/**
 * The scheduled look at the events dead-letter queue: when it holds messages and their count changed since
 * the last notice, the `dead-letters` recipients of the policy are told how many, and how to see them
 * (`amictl events rejected`). An empty queue is remembered as such, so the next message to arrive is told
 * even if the count then equals an earlier one.
 */
export const checkDeadLetters = async (
  deps: Pick<NotifyDeps, 'catalog' | 'store' | 'topic' | 'topicArn' | 'clock' | 'report'> & {
    queue: QueueDepthPort;
    /** The queue's name, as the message names it. */
    queueName: string;
  },
): Promise<DeadLettersResult> => {
  const depth = await deps.queue.depth();
  const count = depth.visible + depth.inFlight + depth.delayed;
  const at = deps.clock.now().toISOString();
  const last = await deps.store.getDeadLetterNotice();
  if (count === 0) {
    if (last === undefined || last.count !== 0)
      await deps.store.putDeadLetterNotice({ count, at, told: false });
    return { count, skipped: 'the queue is empty' };
  }
  if (last?.told && last.count === count) return { count, skipped: `still ${count}, as told at ${last.at}` };

  const organization = await organizationNotify(deps.catalog);
  const recipients = recipientsFor({ event: 'dead-letters', organization });
  const externalTopics = organization.topicArn === undefined ? [] : [organization.topicArn];
  if (recipients.length === 0 && externalTopics.length === 0) {
    await deps.store.putDeadLetterNotice({ count, at, told: false });
    return { count, skipped: 'nobody is told about dead-letters' };
  }
  const message = renderDeadLetters(
    {
      count,
      queue: deps.queueName,
      ...(last?.told && last.count > 0 ? { previous: { count: last.count, at: last.at } } : {}),
    },
    because('dead-letters'),
  );
  const delivery = await deliver(message, { recipients, externalTopics }, deps);
  try {
    await deps.store.putDeadLetterNotice({ count, at, told: true });
  } catch (error) {
    // The mail is out: failing now would have the run retried and send it again. The next run tells the
    // same count once more, which is the lesser harm.
    deps.report?.('could not record the dead-letter notice just sent', {
      count,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return { count, delivery };
};
