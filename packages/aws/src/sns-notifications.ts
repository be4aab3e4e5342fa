import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  type MessageAttributeValue,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { awsErrorCode, callAws } from './errors';
import { collectPages } from './paginate';

/**
 * The message attribute that names who a message is for: a `String.Array` of addresses. Each email
 * subscription the controller makes has a filter policy naming its own address in it
 * (`recipientFilterPolicy`), so an address receives only the messages that name it.
 */
export const RECIPIENTS_ATTRIBUTE = 'recipients';

/** The filter policy of a managed email subscription: `{"recipients":["<address>"]}` on the message attributes. */
export const recipientFilterPolicy = (address: string): string =>
  JSON.stringify({ [RECIPIENTS_ATTRIBUTE]: [address.toLowerCase()] });

/**
 * The address a filter policy names when it has exactly the shape of `recipientFilterPolicy` (and the
 * `MessageAttributes` scope, SNS's default): the mark of a subscription the controller made. Undefined for
 * any other policy, or none.
 */
export const recipientOfFilterPolicy = (
  filterPolicy: string | undefined,
  scope: string | undefined,
): string | undefined => {
  if (filterPolicy === undefined || (scope !== undefined && scope !== 'MessageAttributes')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(filterPolicy);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed);
  const values = (parsed as Record<string, unknown>)[RECIPIENTS_ATTRIBUTE];
  if (keys.length !== 1 || !Array.isArray(values) || values.length !== 1) return undefined;
  return typeof values[0] === 'string' ? values[0] : undefined;
};

/** One subscription of a topic as SNS lists it; a pending one has no usable ARN yet. */
export interface TopicSubscription {
  /** Undefined while the endpoint has not confirmed it (SNS lists it as `PendingConfirmation`). */
  subscriptionArn?: string;
  protocol: string;
  endpoint: string;
  pending: boolean;
}

/** A plain-text message, and the addresses it is for (the `recipients` attribute; none for no attribute). */
export interface TopicMessage {
  subject: string;
  body: string;
  recipients: readonly string[];
}

/** The region an SNS topic or subscription ARN names (`arn:<partition>:sns:<region>:...`). */
export const snsRegionOf = (arn: string): string => {
  const region = arn.split(':')[3];
  if (!region) throw new Error(`${arn} is not an SNS ARN`);
  return region;
};

/** Pages of ListSubscriptionsByTopic read at most (100 subscriptions a page). */
const MAX_SUBSCRIPTION_PAGES = 100;

/**
 * Email notifications over Amazon SNS: publishing with the `recipients` attribute, and the topic's email
 * subscriptions (listed, made with their filter policy, read, fixed and removed). Each call goes to a
 * client of the ARN's region, so a topic of another region (a configured external topic) is reached too.
 */
export class SnsNotifications {
  constructor(private readonly clientFor: (region: string) => SNSClient) {}

  private client(arn: string): SNSClient {
    return this.clientFor(snsRegionOf(arn));
  }

  async publish(topicArn: string, message: TopicMessage): Promise<{ messageId: string }> {
    const attributes: Record<string, MessageAttributeValue> =
      message.recipients.length === 0
        ? {}
        : {
            [RECIPIENTS_ATTRIBUTE]: {
              DataType: 'String.Array',
              StringValue: JSON.stringify(message.recipients),
            },
          };
    const out = await callAws('sns', 'Publish', () =>
      this.client(topicArn).send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: message.subject,
          Message: message.body,
          MessageAttributes: attributes,
        }),
      ),
    );
    if (!out.MessageId) throw new Error(`SNS Publish to ${topicArn} answered without a MessageId`);
    return { messageId: out.MessageId };
  }

  async listSubscriptions(topicArn: string): Promise<TopicSubscription[]> {
    const found = await collectPages(
      'sns:ListSubscriptionsByTopic',
      async (nextToken) => {
        const out = await callAws('sns', 'ListSubscriptionsByTopic', () =>
          this.client(topicArn).send(
            new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken }),
          ),
        );
        return { items: out.Subscriptions, nextToken: out.NextToken };
      },
      MAX_SUBSCRIPTION_PAGES,
    );
    return found.map((s) => {
      const arn = s.SubscriptionArn ?? '';
      // A pending one is listed as `PendingConfirmation` (and a deleted one as `Deleted`): no ARN to act on.
      const pending = !arn.startsWith('arn:');
      return {
        ...(pending ? {} : { subscriptionArn: arn }),
        protocol: s.Protocol ?? '',
        endpoint: s.Endpoint ?? '',
        pending,
      };
    });
  }

  /**
   * Subscribes an email address with the filter policy that names it. SNS sends the address a request to
   * confirm; until it does, it receives nothing. Subscribing an address again answers its subscription.
   */
  async subscribeEmail(topicArn: string, address: string): Promise<{ subscriptionArn?: string }> {
    const out = await callAws('sns', 'Subscribe', () =>
      this.client(topicArn).send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'email',
          Endpoint: address,
          Attributes: {
            FilterPolicy: recipientFilterPolicy(address),
            FilterPolicyScope: 'MessageAttributes',
          },
          ReturnSubscriptionArn: true,
        }),
      ),
    );
    return out.SubscriptionArn?.startsWith('arn:') ? { subscriptionArn: out.SubscriptionArn } : {};
  }

  /** A subscription's filter policy and scope; undefined when the subscription is gone. */
  async filterPolicyOf(
    subscriptionArn: string,
  ): Promise<{ filterPolicy?: string; scope?: string } | undefined> {
    try {
      const out = await callAws('sns', 'GetSubscriptionAttributes', () =>
        this.client(subscriptionArn).send(
          new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
        ),
      );
      const a = out.Attributes ?? {};
      return {
        ...(a.FilterPolicy === undefined ? {} : { filterPolicy: a.FilterPolicy }),
        ...(a.FilterPolicyScope === undefined ? {} : { scope: a.FilterPolicyScope }),
      };
    } catch (error) {
      if (awsErrorCode(error) === 'NotFound' || awsErrorCode(error) === 'NotFoundException') return undefined;
      throw error;
    }
  }

  /**
   * Gives a subscription the filter policy naming `address`, on the message attributes. The flat policy
   * first: it is valid on either scope, while a nested policy on the message body would make SNS refuse the
   * change of scope.
   */
  async setRecipientFilter(subscriptionArn: string, address: string): Promise<void> {
    const client = this.client(subscriptionArn);
    await callAws('sns', 'SetSubscriptionAttributes', () =>
      client.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName: 'FilterPolicy',
          AttributeValue: recipientFilterPolicy(address),
        }),
      ),
    );
    await callAws('sns', 'SetSubscriptionAttributes', () =>
      client.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName: 'FilterPolicyScope',
          AttributeValue: 'MessageAttributes',
        }),
      ),
    );
  }

  /** Removes a subscription; one already gone is no error (as SNS answers). */
  async unsubscribe(subscriptionArn: string): Promise<void> {
    await callAws('sns', 'Unsubscribe', () =>
      this.client(subscriptionArn).send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn })),
    );
  }
}
