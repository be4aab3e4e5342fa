import type { NotifyDeps, TopicSubscription } from './ports';

/** A rendered message: plain text for a mail client, with a subject SNS takes. */
export interface Message {
  subject: string;
  body: string;
}

/** What one message came to: who it named, the subscriptions made for them, each external topic's answer. */
export interface Delivery {
  /** The stage topic's message id; undefined when nobody was to be told there. */
  messageId?: string;
  recipients: string[];
  /** Addresses subscribed just now (they confirm first, and get the next message). */
  subscribed: string[];
  /** Addresses whose subscription could not be made: named, and told again with the next message. */
  notSubscribed: { address: string; error: string }[];
  external: ({ topicArn: string; messageId: string } | { topicArn: string; error: string })[];
}

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** The email addresses subscribed to the topic (confirmed or waiting for confirmation), lower case. */
export const emailEndpoints = (subscriptions: readonly TopicSubscription[]): Set<string> =>
  new Set(subscriptions.filter((s) => s.protocol === 'email').map((s) => s.endpoint.toLowerCase()));

/**
 * Subscribes each address that has no email subscription on the topic yet (one listing of the topic), with
 * the filter policy naming it. A subscription that cannot be made is reported and answered, never thrown:
 * the message still goes to everyone else.
 */
export const subscribeMissing = async (
  addresses: readonly string[],
  deps: Pick<NotifyDeps, 'topic' | 'topicArn' | 'report'>,
  subscriptions?: readonly TopicSubscription[],
): Promise<{ subscribed: string[]; notSubscribed: { address: string; error: string }[] }> => {
  if (addresses.length === 0) return { subscribed: [], notSubscribed: [] };
  const present = emailEndpoints(subscriptions ?? (await deps.topic.listSubscriptions(deps.topicArn)));
  const subscribed: string[] = [];
  const notSubscribed: { address: string; error: string }[] = [];
  for (const address of addresses) {
    if (present.has(address.toLowerCase())) continue;
    try {
      await deps.topic.subscribeEmail(deps.topicArn, address);
      subscribed.push(address);
    } catch (error) {
      notSubscribed.push({ address, error: errorText(error) });
      deps.report?.('could not subscribe an address the policy names', { address, error: errorText(error) });
    }
  }
  return { subscribed, notSubscribed };
};

/**
 * Sends one message: to the stage topic naming `recipients` (its `recipients` attribute; the filter policy of
 * each managed subscription lets only the addresses it names through), after subscribing those who have no
 * subscription yet; then to each external topic of the policy. The stage topic's publish failing is thrown
 * (the event is retried); an external topic refusing (its policy does not let this function publish, it is
 * gone, its key is not ours to use) is reported and answered, never thrown: the people of the policy have
 * their message, and a retry would send it to them again.
 */
export const deliver = async (
  message: Message,
  to: { recipients: readonly string[]; externalTopics: readonly string[] },
  deps: Pick<NotifyDeps, 'topic' | 'topicArn' | 'report'>,
): Promise<Delivery> => {
  const recipients = [...to.recipients];
  const { subscribed, notSubscribed } = await subscribeMissing(recipients, deps);
  const own =
    recipients.length === 0
      ? undefined
      : await deps.topic.publish(deps.topicArn, { subject: message.subject, body: message.body, recipients });
  const external: Delivery['external'] = [];
  for (const topicArn of [...new Set(to.externalTopics)]) {
    if (topicArn === deps.topicArn) continue;
    try {
      const { messageId } = await deps.topic.publish(topicArn, {
        subject: message.subject,
        body: message.body,
        recipients,
      });
      external.push({ topicArn, messageId });
    } catch (error) {
      external.push({ topicArn, error: errorText(error) });
      deps.report?.(
        'an external topic refused the message: its topic policy must let the notify functions publish',
        { topicArn, error: errorText(error) },
      );
    }
  }
  return {
    ...(own === undefined ? {} : { messageId: own.messageId }),
    recipients,
    subscribed,
    notSubscribed,
    external,
  };
};
