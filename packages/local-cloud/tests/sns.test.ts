import { verify } from 'node:crypto';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { type LocalCloud, startLocalCloud } from '../src';
import { stringToSign } from '../src/services/sns/delivery';
import { attributeParams, messageAttributeParams, snsClient } from './fixtures/sns/query-client';
import { control, START, TOOLING, WORKLOADS } from './helpers';

const REGION = 'eu-west-1';
const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

describe('SNS on the local cloud, over the Query protocol', () => {
  let cloud: LocalCloud;
  let sns: ReturnType<typeof snsClient>;
  let sqs: SQSClient;
  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, start: START, region: REGION });
    sns = snsClient(cloud.endpoint);
    sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(async () => {
    sqs?.destroy();
    await cloud?.stop();
  });

  let n = 0;
  const newTopic = async (attributes: Record<string, string> = {}) => {
    n++;
    const r = await sns('CreateTopic', { Name: `topic-${n}`, ...attributeParams(attributes) });
    expect(r.status).toBe(200);
    return r.get('TopicArn')!;
  };
  const newQueue = async () => {
    n++;
    await sqs.send(new CreateQueueCommand({ QueueName: `sns-q-${n}` }));
    return {
      arn: `arn:aws:sqs:${REGION}:${TOOLING}:sns-q-${n}`,
      url: `${cloud.endpoint}/${TOOLING}/sns-q-${n}`,
    };
  };
  const receive = async (url: string) =>
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
      )
    ).Messages ?? [];
  const subscribe = async (TopicArn: string, Protocol: string, Endpoint: string, attributes = {}) => {
    const r = await sns('Subscribe', {
      TopicArn,
      Protocol,
      Endpoint,
      ReturnSubscriptionArn: 'true',
      ...attributeParams(attributes),
    });
    expect(r.error).toBeUndefined();
    return r.get('SubscriptionArn')!;
  };
  const publish = (TopicArn: string, Message: string, extra: Record<string, string> = {}) =>
    sns('Publish', { TopicArn, Message, ...extra });

  describe('topics', () => {
    it('answers CreateTopic in the Query XML, with the request id, and creates a name once', async () => {
      const r = await sns('CreateTopic', {
        Name: 'notifications',
        ...attributeParams({ DisplayName: 'AMI lifecycle', KmsMasterKeyId: 'alias/aws/sns' }),
        'Tags.member.1.Key': 'team',
        'Tags.member.1.Value': 'images',
      });

      expect(r.status).toBe(200);
      expect(r.xml).toMatch(
        new RegExp(
          `^<CreateTopicResponse xmlns="${XMLNS}"><CreateTopicResult><TopicArn>arn:aws:sns:${REGION}:${TOOLING}:notifications</TopicArn></CreateTopicResult><ResponseMetadata><RequestId>[0-9a-f-]{36}</RequestId></ResponseMetadata></CreateTopicResponse>$`,
        ),
      );
      const arn = r.get('TopicArn')!;
      // The same name with the same (or no) attributes is the same topic; different ones are refused.
      expect((await sns('CreateTopic', { Name: 'notifications' })).get('TopicArn')).toBe(arn);
      const clash = await sns('CreateTopic', {
        Name: 'notifications',
        ...attributeParams({ DisplayName: 'Something else' }),
      });
      expect(clash.status).toBe(400);
      expect(clash.error).toEqual({
        code: 'InvalidParameter',
        type: 'Sender',
        message: 'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
      });
      const tags = await sns('ListTagsForResource', { ResourceArn: arn });
      expect(tags.members('Tags')).toEqual([{ Key: 'team', Value: 'images' }]);

      const attributes = (await sns('GetTopicAttributes', { TopicArn: arn })).map();
      expect(attributes).toMatchObject({
        TopicArn: arn,
        Owner: TOOLING,
        DisplayName: 'AMI lifecycle',
        KmsMasterKeyId: 'alias/aws/sns',
        SubscriptionsConfirmed: '0',
        SubscriptionsPending: '0',
        SubscriptionsDeleted: '0',
      });
      // Without a policy of its own, the topic has SNS's default one: its own account, every action.
      expect(JSON.parse(attributes.Policy!)).toMatchObject({
        Id: '__default_policy_ID',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: '*' },
            Resource: arn,
            Condition: { StringEquals: { 'AWS:SourceOwner': TOOLING } },
          },
        ],
      });
    });

    it('sets DisplayName and KmsMasterKeyId, lists and deletes topics (deleting twice is fine)', async () => {
      const arn = await newTopic();
      await sns('SetTopicAttributes', {
        TopicArn: arn,
        AttributeName: 'DisplayName',
        AttributeValue: 'Builds',
      });
      await sns('SetTopicAttributes', {
        TopicArn: arn,
        AttributeName: 'KmsMasterKeyId',
        AttributeValue: 'arn:aws:kms:eu-west-1:111111111111:key/1234',
      });
      expect((await sns('GetTopicAttributes', { TopicArn: arn })).map()).toMatchObject({
        DisplayName: 'Builds',
        KmsMasterKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/1234',
      });
      const unknown = await sns('SetTopicAttributes', {
        TopicArn: arn,
        AttributeName: 'Colour',
        AttributeValue: 'blue',
      });
      expect(unknown.error).toMatchObject({
        code: 'InvalidParameter',
        message: 'Invalid parameter: AttributeName',
      });

      expect((await sns('ListTopics')).members('Topics')).toContainEqual({ TopicArn: arn });
      expect((await sns('DeleteTopic', { TopicArn: arn })).status).toBe(200);
      expect((await sns('DeleteTopic', { TopicArn: arn })).status).toBe(200);
      expect((await sns('ListTopics')).members('Topics')).not.toContainEqual({ TopicArn: arn });
      const gone = await sns('GetTopicAttributes', { TopicArn: arn });
      expect(gone.status).toBe(404);
      expect(gone.error).toMatchObject({ code: 'NotFound', message: 'Topic does not exist' });
    });

    it('refuses what AWS refuses, with its error codes', async () => {
      const arn = await newTopic();
      const cases: [Record<string, string>, number, string, string | RegExp][] = [
        [
          { Action: 'CreateTopic', Name: 'has space' },
          400,
          'InvalidParameter',
          'Invalid parameter: Topic Name',
        ],
        [
          { Action: 'Publish', TopicArn: `${arn}-nope`, Message: 'x' },
          404,
          'NotFound',
          'Topic does not exist',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: '' },
          400,
          'InvalidParameter',
          'Invalid parameter: Empty message',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: 'x'.repeat(262_145) },
          400,
          'InvalidParameter',
          'Invalid parameter: Message too long',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: 'x', Subject: 's'.repeat(101) },
          400,
          'InvalidParameter',
          'Invalid parameter: Subject',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: 'x', Subject: 'two\nlines' },
          400,
          'InvalidParameter',
          'Invalid parameter: Subject',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: 'x', Subject: 'café' },
          400,
          'InvalidParameter',
          'Invalid parameter: Subject',
        ],
        [
          { Action: 'Publish', Message: 'x' },
          400,
          'InvalidParameter',
          'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: '{"email":"x"}', MessageStructure: 'json' },
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - No default entry in JSON message body',
        ],
        [
          { Action: 'Publish', TopicArn: arn, Message: 'not json', MessageStructure: 'json' },
          400,
          'InvalidParameter',
          'Invalid parameter: Message Structure - JSON message body failed to parse',
        ],
        [
          { Action: 'Publish', TopicArn: arn.replace(REGION, 'us-east-1'), Message: 'x' },
          400,
          'InvalidParameter',
          'Invalid parameter: TopicArn',
        ],
        [
          {
            Action: 'Publish',
            TopicArn: arn,
            Message: 'x',
            ...messageAttributeParams({ n: { DataType: 'Number', StringValue: 'many' } }),
          },
          400,
          'ParameterValueInvalid',
          "Could not cast message attribute 'n' value to number.",
        ],
        [
          {
            Action: 'Publish',
            TopicArn: arn,
            Message: 'x',
            ...messageAttributeParams({ n: { DataType: 'Date', StringValue: 'today' } }),
          },
          400,
          'ParameterValueInvalid',
          /invalid message attribute type/,
        ],
        [
          { Action: 'Subscribe', TopicArn: arn, Protocol: 'carrier-pigeon', Endpoint: 'x' },
          400,
          'InvalidParameter',
          'Invalid parameter: Amazon SNS does not support this protocol string: carrier-pigeon',
        ],
        [
          { Action: 'Subscribe', TopicArn: arn, Protocol: 'email', Endpoint: 'not-an-address' },
          400,
          'InvalidParameter',
          'Invalid parameter: Email address',
        ],
        [
          { Action: 'Subscribe', TopicArn: arn, Protocol: 'sqs', Endpoint: 'https://queue' },
          400,
          'InvalidParameter',
          'Invalid parameter: SQS endpoint ARN',
        ],
        [{ Action: 'Nonsense' }, 400, 'InvalidAction', /action or operation requested is invalid/],
      ];
      for (const [{ Action, ...params }, status, code, message] of cases) {
        const r = await sns(Action!, params);
        expect({
          action: Action,
          params: Object.keys(params),
          status: r.status,
          code: r.error?.code,
        }).toEqual({
          action: Action,
          params: Object.keys(params),
          status,
          code,
        });
        expect(r.error?.message).toMatch(message);
      }
    });
  });

  describe('email subscriptions', () => {
    it('gives a pending email subscription nothing but its confirmation request', async () => {
      const arn = await newTopic({ DisplayName: 'AMI lifecycle' });
      const r = await sns('Subscribe', { TopicArn: arn, Protocol: 'email', Endpoint: 'pending@example.com' });
      expect(r.get('SubscriptionArn')).toBe('pending confirmation');
      const listed = (await sns('ListSubscriptionsByTopic', { TopicArn: arn })).members('Subscriptions');
      expect(listed).toEqual([
        {
          SubscriptionArn: 'PendingConfirmation',
          Owner: TOOLING,
          Protocol: 'email',
          Endpoint: 'pending@example.com',
          TopicArn: arn,
        },
      ]);
      expect((await sns('GetTopicAttributes', { TopicArn: arn })).map()).toMatchObject({
        SubscriptionsPending: '1',
        SubscriptionsConfirmed: '0',
      });

      expect((await publish(arn, 'an image was published', { Subject: 'Published' })).status).toBe(200);

      const received = cloud.sns.messages({ endpoint: 'pending@example.com' });
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        kind: 'confirmation',
        topicArn: arn,
        protocol: 'email',
        status: 'delivered',
        subject: null,
        email: {
          from: 'AMI lifecycle <no-reply@sns.amazonaws.com>',
          subject: 'AWS Notification - Subscription Confirmation',
        },
        at: START,
      });
      expect(received[0]!.body).toContain(`You have chosen to subscribe to the topic: \n${arn}`);
      expect(received[0]!.body).toContain(received[0]!.subscribeUrl!);
      expect(received[0]!.token).toMatch(/^[0-9a-f]{128}$/);
    });

    it('delivers to the address once its recipient confirms, with the subject and an unsubscribe link', async () => {
      const arn = await newTopic({ DisplayName: 'AMI lifecycle' });
      await subscribe(arn, 'email', 'ops@example.com');
      const confirm = await control(cloud, 'POST', '/_local/sns/confirm', {
        topicArn: arn,
        endpoint: 'ops@example.com',
      });
      expect(confirm).toMatchObject({
        status: 200,
        body: { subscription: { PendingConfirmation: 'false', ConfirmationWasAuthenticated: 'false' } },
      });
      await cloud.clock.advance(60);

      await publish(arn, 'ami-0123 is published', { Subject: 'Image published' });

      const [confirmation, mail] = cloud.sns.messages({ endpoint: 'ops@example.com' });
      expect(confirmation!.kind).toBe('confirmation');
      expect(mail).toMatchObject({
        kind: 'notification',
        protocol: 'email',
        subject: 'Image published',
        message: 'ami-0123 is published',
        email: { from: 'AMI lifecycle <no-reply@sns.amazonaws.com>', subject: 'Image published' },
        at: '2026-03-01T00:01:00.000Z',
      });
      expect(mail!.body).toMatch(/^ami-0123 is published\n\n--\nIf you wish to stop receiving notifications/);
      const unsubscribe = /(http:\/\/\S+\/_local\/sns\/unsubscribe\?SubscriptionArn=\S+)/.exec(
        mail!.body,
      )![1]!;

      // The same over the control API, filtered by topic and time.
      const listed = await control(
        cloud,
        'GET',
        `/_local/sns/messages?topicArn=${encodeURIComponent(arn)}&since=2026-03-01T00:00:30Z`,
      );
      expect(listed.status).toBe(200);
      expect(listed.body.messages).toEqual([mail]);

      // Following the link unsubscribes, as on AWS: the next message reaches no one.
      expect((await fetch(unsubscribe)).status).toBe(200);
      await publish(arn, 'after unsubscribing');
      expect(cloud.sns.messages({ endpoint: 'ops@example.com' })).toHaveLength(2);
      expect((await sns('GetTopicAttributes', { TopicArn: arn })).map().SubscriptionsDeleted).toBe('1');
    });

    it('confirms by the link in the confirmation, or by ConfirmSubscription with its token', async () => {
      const arn = await newTopic();
      await subscribe(arn, 'email', 'link@example.com');
      await subscribe(arn, 'email-json', 'token@example.com');
      const [byLink] = cloud.sns.messages({ endpoint: 'link@example.com' });
      const [byToken] = cloud.sns.messages({ endpoint: 'token@example.com' });

      expect((await fetch(byLink!.subscribeUrl!)).status).toBe(200);
      // email-json receives the SubscriptionConfirmation document itself.
      expect(JSON.parse(byToken!.body)).toMatchObject({
        Type: 'SubscriptionConfirmation',
        Token: byToken!.token,
        TopicArn: arn,
      });
      const bad = await sns('ConfirmSubscription', { TopicArn: arn, Token: 'f'.repeat(128) });
      expect(bad.error).toMatchObject({
        code: 'InvalidParameter',
        message: 'Invalid parameter: Invalid token',
      });
      const confirmed = await sns('ConfirmSubscription', { TopicArn: arn, Token: byToken!.token! });
      const subscriptionArn = confirmed.get('SubscriptionArn')!;
      expect(subscriptionArn).toMatch(new RegExp(`^${arn}:[0-9a-f-]{36}$`));
      expect(
        (await sns('GetSubscriptionAttributes', { SubscriptionArn: subscriptionArn })).map(),
      ).toMatchObject({
        PendingConfirmation: 'false',
        ConfirmationWasAuthenticated: 'true',
        Protocol: 'email-json',
      });

      await publish(arn, 'both now');
      expect(cloud.sns.messages({ topicArn: arn }).filter((m) => m.kind === 'notification')).toHaveLength(2);
      const json = cloud.sns.messages({ endpoint: 'token@example.com' })[1]!;
      expect(JSON.parse(json.body)).toMatchObject({ Type: 'Notification', Message: 'both now' });
    });

    it('answers a confirmation for what is not pending or not there with 404, and a bad body with 400', async () => {
      const arn = await newTopic();
      const missing = await control(cloud, 'POST', '/_local/sns/confirm', {
        topicArn: arn,
        endpoint: 'nobody@example.com',
      });
      expect(missing).toMatchObject({ status: 404, body: { code: 'NotFound' } });
      const both = await control(cloud, 'POST', '/_local/sns/confirm', {
        subscriptionArn: `${arn}:00000000-0000-0000-0000-000000000000`,
        topicArn: arn,
      });
      expect(both.status).toBe(400);
      const badSince = await control(cloud, 'GET', '/_local/sns/messages?since=yesterday');
      expect(badSince.status).toBe(400);
    });

    it('deletes a subscription left unconfirmed for 48 hours', async () => {
      const arn = await newTopic();
      await subscribe(arn, 'email', 'late@example.com');
      await cloud.clock.advance(48 * 3600 - 1);
      expect(
        (await sns('ListSubscriptionsByTopic', { TopicArn: arn })).members('Subscriptions'),
      ).toHaveLength(1);
      await cloud.clock.advance(1);
      expect((await sns('ListSubscriptionsByTopic', { TopicArn: arn })).members('Subscriptions')).toEqual([]);
      const late = await control(cloud, 'POST', '/_local/sns/confirm', {
        topicArn: arn,
        endpoint: 'late@example.com',
      });
      expect(late.status).toBe(404);
    });
  });

  describe('SQS subscriptions', () => {
    it('delivers the signed JSON document to a queue of the same account, confirmed at once', async () => {
      const arn = await newTopic();
      const q = await newQueue();
      const subscriptionArn = await subscribe(arn, 'sqs', q.arn);
      expect(
        (await sns('GetSubscriptionAttributes', { SubscriptionArn: subscriptionArn })).map(),
      ).toMatchObject({
        PendingConfirmation: 'false',
        RawMessageDelivery: 'false',
        Endpoint: q.arn,
      });

      const published = await publish(arn, '{"imageId":"ami-1"}', {
        Subject: 'Image built',
        ...messageAttributeParams({
          stage: { DataType: 'String', StringValue: 'prod' },
          size: { DataType: 'Number', StringValue: '8' },
        }),
      });
      const messageId = published.get('MessageId');

      const [m] = await receive(q.url);
      const doc = JSON.parse(m!.Body!);
      expect(doc).toEqual({
        Type: 'Notification',
        MessageId: messageId,
        TopicArn: arn,
        Subject: 'Image built',
        Message: '{"imageId":"ami-1"}',
        Timestamp: cloud.clock.now().toISOString(),
        SignatureVersion: '1',
        Signature: expect.any(String),
        SigningCertURL: `${cloud.endpoint}/_local/sns/signing-key`,
        UnsubscribeURL: `${cloud.endpoint}/_local/sns/unsubscribe?SubscriptionArn=${encodeURIComponent(subscriptionArn)}`,
        MessageAttributes: { stage: { Type: 'String', Value: 'prod' }, size: { Type: 'Number', Value: '8' } },
      });
      // The signature verifies with the key at SigningCertURL, over the string SNS documents.
      const key = (await (await fetch(doc.SigningCertURL)).json()) as { publicKey: string };
      expect(
        verify('sha1', Buffer.from(stringToSign(doc)), key.publicKey, Buffer.from(doc.Signature, 'base64')),
      ).toBe(true);
      expect(
        verify(
          'sha1',
          Buffer.from(stringToSign({ ...doc, Message: 'tampered' })),
          key.publicKey,
          Buffer.from(doc.Signature, 'base64'),
        ),
      ).toBe(false);
      expect(cloud.sns.messages({ endpoint: q.arn })).toEqual([
        expect.objectContaining({ kind: 'notification', protocol: 'sqs', messageId, body: m!.Body }),
      ]);
    });

    it('sends the message alone, its attributes as the queue message attributes, with raw delivery', async () => {
      const arn = await newTopic();
      const q = await newQueue();
      await subscribe(arn, 'sqs', q.arn, { RawMessageDelivery: 'true' });
      await publish(
        arn,
        'plain text',
        messageAttributeParams({ stage: { DataType: 'String', StringValue: 'qa' } }),
      );

      const [m] = await receive(q.url);
      expect(m!.Body).toBe('plain text');
      expect(m!.MessageAttributes).toEqual({ stage: { DataType: 'String', StringValue: 'qa' } });
      const emailRaw = await sns('Subscribe', {
        TopicArn: arn,
        Protocol: 'email',
        Endpoint: 'raw@example.com',
        ...attributeParams({ RawMessageDelivery: 'true' }),
      });
      expect(emailRaw.error?.message).toBe(
        'Invalid parameter: Delivery protocol [email] does not support raw message delivery.',
      );
    });

    it('gives each protocol its own message with MessageStructure json', async () => {
      const arn = await newTopic();
      const q = await newQueue();
      await subscribe(arn, 'sqs', q.arn, { RawMessageDelivery: 'true' });
      await subscribe(arn, 'email', 'structured@example.com');
      await control(cloud, 'POST', '/_local/sns/confirm', {
        topicArn: arn,
        endpoint: 'structured@example.com',
      });

      await publish(
        arn,
        JSON.stringify({ default: 'default text', email: 'for people', sqs: '{"for":"code"}' }),
        {
          MessageStructure: 'json',
        },
      );

      expect((await receive(q.url))[0]!.Body).toBe('{"for":"code"}');
      expect(cloud.sns.messages({ endpoint: 'structured@example.com' })[1]!.message).toBe('for people');
    });

    it('asks the owner of a queue in another account to confirm, in the queue', async () => {
      const arn = await newTopic();
      const other = `arn:aws:sqs:${REGION}:${WORKLOADS}:elsewhere`;
      cloud.services.sqs.createQueue({ accountId: WORKLOADS, region: REGION }, 'elsewhere');
      const subscriptionArn = await subscribe(arn, 'sqs', other);
      await publish(arn, 'not yet');

      const inQueue = cloud.services.sqs.peek().find((p) => p.queueArn === other)!.messages;
      expect(inQueue).toHaveLength(1);
      const doc = JSON.parse(inQueue[0]!.Body);
      expect(doc).toMatchObject({
        Type: 'SubscriptionConfirmation',
        TopicArn: arn,
        SubscribeURL: expect.any(String),
      });
      expect((await fetch(doc.SubscribeURL)).status).toBe(200);
      expect(
        (await sns('GetSubscriptionAttributes', { SubscriptionArn: subscriptionArn })).map()
          .PendingConfirmation,
      ).toBe('false');
    });

    it('records a delivery to a queue that does not exist as failed', async () => {
      const arn = await newTopic();
      const missing = `arn:aws:sqs:${REGION}:${TOOLING}:never-created`;
      await subscribe(arn, 'sqs', missing);
      expect((await publish(arn, 'lost')).status).toBe(200);
      expect(cloud.sns.messages({ endpoint: missing })).toEqual([
        expect.objectContaining({ status: 'failed', error: 'The specified queue does not exist.' }),
      ]);
    });
  });

  describe('filter policies', () => {
    /** A topic with one raw SQS subscription per filter policy; answers which queues each message reached. */
    const filtered = async (policies: Record<string, object>, scope?: 'MessageBody') => {
      const arn = await newTopic();
      const queues: Record<string, string> = {};
      for (const [name, policy] of Object.entries(policies)) {
        const q = await newQueue();
        queues[name] = q.url;
        await subscribe(arn, 'sqs', q.arn, {
          RawMessageDelivery: 'true',
          FilterPolicy: JSON.stringify(policy),
          ...(scope ? { FilterPolicyScope: scope } : {}),
        });
      }
      return async (message: string, attributes: Parameters<typeof messageAttributeParams>[0] = {}) => {
        expect((await publish(arn, message, messageAttributeParams(attributes))).status).toBe(200);
        const reached: string[] = [];
        for (const [name, url] of Object.entries(queues)) if ((await receive(url)).length) reached.push(name);
        return reached;
      };
    };
    const str = (StringValue: string) => ({ DataType: 'String', StringValue });

    it('matches message attributes: exact, prefix, anything-but, exists, numeric, String.Array', async () => {
      const send = await filtered({
        exact: { event: ['published', 'deprecated'] },
        prefix: { image: [{ prefix: 'golden-' }] },
        anythingBut: { stage: [{ 'anything-but': ['dev', 'qa'] }] },
        absent: { urgent: [{ exists: false }] },
        present: { urgent: [{ exists: true }] },
        numeric: { cves: [{ numeric: ['>=', 5] }] },
        array: { regions: ['eu-west-1'] },
      });

      expect(
        await send('a', { event: str('published'), image: str('golden-al2023'), stage: str('prod') }),
      ).toEqual(['exact', 'prefix', 'anythingBut', 'absent']);
      // anything-but needs the attribute: without `stage`, it does not match.
      expect(await send('b', { event: str('built'), image: str('child-web'), urgent: str('yes') })).toEqual([
        'present',
      ]);
      expect(await send('c', { stage: str('qa'), cves: { DataType: 'Number', StringValue: '5' } })).toEqual([
        'absent',
        'numeric',
      ]);
      // A number in a String attribute is a string: numeric conditions do not apply to it.
      expect(await send('d', { cves: str('9') })).toEqual(['absent']);
      expect(
        await send('e', { regions: { DataType: 'String.Array', StringValue: '["us-east-1","eu-west-1"]' } }),
      ).toEqual(['absent', 'array']);
    });

    it('matches the message body with FilterPolicyScope MessageBody', async () => {
      const send = await filtered(
        { prod: { detail: { stage: ['prod'] } }, golden: { detail: { image: [{ prefix: 'golden-' }] } } },
        'MessageBody',
      );
      expect(await send(JSON.stringify({ detail: { stage: 'prod', image: 'golden-x' } }))).toEqual([
        'prod',
        'golden',
      ]);
      expect(await send(JSON.stringify({ detail: { stage: 'qa', image: 'golden-x' } }))).toEqual(['golden']);
      // A body that is not JSON matches no body policy.
      expect(await send('plain text')).toEqual([]);
    });

    it('refuses a filter policy SNS would refuse, and takes {} as no policy', async () => {
      const arn = await newTopic();
      const q = await newQueue();
      const subscriptionArn = await subscribe(arn, 'sqs', q.arn, { FilterPolicy: '{"a":["x"]}' });
      const set = (value: string, name = 'FilterPolicy') =>
        sns('SetSubscriptionAttributes', {
          SubscriptionArn: subscriptionArn,
          AttributeName: name,
          AttributeValue: value,
        });

      expect((await set('{"a":[]}')).error?.message).toBe(
        'Invalid parameter: FilterPolicy: Empty arrays are not allowed',
      );
      expect((await set('{"a":"x"}')).error?.message).toBe(
        'Invalid parameter: FilterPolicy: "a" must be an object or an array',
      );
      expect((await set('{"a":[{"numeric":[">","5"]}]}')).error?.message).toBe(
        'Invalid parameter: FilterPolicy: Value of > must be numeric',
      );
      expect((await set('{"a":[{"glob":"x*"}]}')).error?.message).toBe(
        'Invalid parameter: FilterPolicy: Unrecognized match type glob',
      );
      expect(
        (await set(JSON.stringify({ a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] }))).error
          ?.message,
      ).toBe('Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys');
      expect((await set('{"a":{"b":["x"]}}')).error?.message).toBe(
        'Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy',
      );
      expect((await set('Everything', 'FilterPolicyScope')).error?.code).toBe('InvalidParameter');

      expect((await set('{}')).status).toBe(200);
      const attributes = (await sns('GetSubscriptionAttributes', { SubscriptionArn: subscriptionArn })).map();
      expect(attributes.FilterPolicy).toBeUndefined();
      await publish(arn, 'no attributes at all');
      expect(await receive(q.url)).toHaveLength(1);
    });
  });

  describe('topic policies', () => {
    const assumed = async (roleArn: string) => {
      const { Credentials } = await new STSClient(cloud.clientConfig).send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'sns-test' }),
      );
      return snsClient(cloud.endpoint, {
        credentials: {
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken!,
        },
      });
    };

    it('refuses Publish to a principal an explicit Deny names, and lets others of the account publish', async () => {
      const arn = await newTopic();
      const denied = `arn:aws:iam::${TOOLING}:role/not-this-one`;
      const policy = {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'no-publishing-role',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: arn,
            Condition: { ArnEquals: { 'aws:PrincipalArn': denied } },
          },
        ],
      };
      const set = await sns('SetTopicAttributes', {
        TopicArn: arn,
        AttributeName: 'Policy',
        AttributeValue: JSON.stringify(policy),
      });
      expect(set.status).toBe(200);

      const refused = await (await assumed(denied))('Publish', { TopicArn: arn, Message: 'x' });
      expect(refused.status).toBe(403);
      expect(refused.error).toEqual({
        code: 'AuthorizationError',
        type: 'Sender',
        message: `User: arn:aws:sts::${TOOLING}:assumed-role/not-this-one/sns-test is not authorized to perform: sns:Publish on resource: ${arn} with an explicit deny in a resource-based policy (no-publishing-role)`,
      });
      const allowed = await (await assumed(`arn:aws:iam::${TOOLING}:role/publisher`))('Publish', {
        TopicArn: arn,
        Message: 'x',
      });
      expect(allowed.status).toBe(200);
    });

    it("refuses another account's principal unless the policy allows its account", async () => {
      const arn = await newTopic();
      const outsider = await assumed(`arn:aws:iam::${WORKLOADS}:role/publisher`);
      const refused = await outsider('Publish', { TopicArn: arn, Message: 'x' });
      expect(refused.status).toBe(403);
      expect(refused.error?.message).toMatch(
        /because no resource-based policy allows the sns:Publish action$/,
      );

      await sns('SetTopicAttributes', {
        TopicArn: arn,
        AttributeName: 'Policy',
        AttributeValue: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: WORKLOADS }, Action: 'SNS:Publish', Resource: arn },
          ],
        }),
      });
      expect((await outsider('Publish', { TopicArn: arn, Message: 'x' })).status).toBe(200);
    });

    it('refuses a policy it could not enforce, naming the part', async () => {
      const arn = await newTopic();
      const r = await sns('SetTopicAttributes', {
        TopicArn: arn,
        AttributeName: 'Policy',
        AttributeValue: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', NotPrincipal: { AWS: '*' }, Action: 'sns:Publish', Resource: arn }],
        }),
      });
      expect(r.error).toMatchObject({
        code: 'InvalidParameter',
        message:
          'Invalid parameter: Policy Error: Statement[0].NotPrincipal is not an element the local cloud evaluates',
      });
    });
  });

  it('publishes a batch, each entry checked on its own', async () => {
    const arn = await newTopic();
    const q = await newQueue();
    await subscribe(arn, 'sqs', q.arn, { RawMessageDelivery: 'true' });
    const r = await sns('PublishBatch', {
      TopicArn: arn,
      'PublishBatchRequestEntries.member.1.Id': 'one',
      'PublishBatchRequestEntries.member.1.Message': 'first',
      'PublishBatchRequestEntries.member.2.Id': 'two',
      'PublishBatchRequestEntries.member.2.Message': 'second',
      'PublishBatchRequestEntries.member.2.Subject': 'bad\nsubject',
    });
    expect(r.members('Successful')).toEqual([
      { Id: 'one', MessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
    expect(r.members('Failed')).toEqual([
      { Id: 'two', Code: 'InvalidParameter', Message: 'Invalid parameter: Subject', SenderFault: 'true' },
    ]);
    expect((await receive(q.url)).map((m) => m.Body)).toEqual(['first']);
    const same = await sns('PublishBatch', {
      TopicArn: arn,
      'PublishBatchRequestEntries.member.1.Id': 'x',
      'PublishBatchRequestEntries.member.1.Message': 'a',
      'PublishBatchRequestEntries.member.2.Id': 'x',
      'PublishBatchRequestEntries.member.2.Message': 'b',
    });
    expect(same.error?.code).toBe('BatchEntryIdsNotDistinct');
  });

  it('lists subscriptions of the account, and unsubscribes (twice is fine)', async () => {
    const arn = await newTopic();
    const q = await newQueue();
    const subscriptionArn = await subscribe(arn, 'sqs', q.arn);
    expect((await sns('ListSubscriptions')).members('Subscriptions')).toContainEqual({
      SubscriptionArn: subscriptionArn,
      Owner: TOOLING,
      Protocol: 'sqs',
      Endpoint: q.arn,
      TopicArn: arn,
    });
    // Subscribing the same endpoint again answers the same subscription.
    expect(await subscribe(arn, 'sqs', q.arn)).toBe(subscriptionArn);
    expect((await sns('Unsubscribe', { SubscriptionArn: subscriptionArn })).status).toBe(200);
    expect((await sns('Unsubscribe', { SubscriptionArn: subscriptionArn })).status).toBe(200);
    expect((await sns('ListSubscriptionsByTopic', { TopicArn: arn })).members('Subscriptions')).toEqual([]);
    expect((await sns('Unsubscribe', { SubscriptionArn: 'nonsense' })).error?.message).toBe(
      'Invalid parameter: SubscriptionArn',
    );
  });
});
