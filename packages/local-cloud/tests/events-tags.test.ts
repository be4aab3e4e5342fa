import {
  CreateEventBusCommand,
  ListTagsForResourceCommand,
  PutRuleCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-eventbridge';
import { ACCOUNT, type EventBridgeHarness, REGION, startEventBridge } from './events/harness';

/** TagResource, UntagResource and ListTagsForResource on rules and buses, through the real SDK client. */
describe('EventBridge tags', () => {
  let eb: EventBridgeHarness;

  beforeEach(async () => {
    eb = await startEventBridge();
  });
  afterEach(async () => {
    await eb.close();
  });

  const errorOf = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (e) {
      return e as Error & { $metadata?: { httpStatusCode?: number } };
    }
    throw new Error('expected the call to fail');
  };

  const tagsOf = async (arn: string) =>
    (await eb.client.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags;

  const PATTERN = JSON.stringify({ source: ['aws.ec2'] });

  it('tags, lists and untags a rule on the default bus, keeping tags PutRule gave it', async () => {
    // Arrange
    const { RuleArn } = await eb.client.send(
      new PutRuleCommand({
        Name: 'ami-events',
        EventPattern: PATTERN,
        Tags: [{ Key: 'stage', Value: 'dev' }],
      }),
    );

    const fromPutRule = await tagsOf(RuleArn!);
    // PutRule on an existing rule leaves its tags alone, as on AWS.
    await eb.client.send(
      new PutRuleCommand({ Name: 'ami-events', EventPattern: PATTERN, Tags: [{ Key: 'other', Value: 'x' }] }),
    );

    // Act
    await eb.client.send(
      new TagResourceCommand({
        ResourceARN: RuleArn,
        Tags: [
          { Key: 'stage', Value: 'prod' },
          { Key: 'team', Value: 'platform' },
        ],
      }),
    );
    const tagged = await tagsOf(RuleArn!);
    await eb.client.send(new UntagResourceCommand({ ResourceARN: RuleArn, TagKeys: ['stage', 'absent'] }));

    // Assert
    expect(fromPutRule).toEqual([{ Key: 'stage', Value: 'dev' }]);
    expect(tagged).toEqual([
      { Key: 'stage', Value: 'prod' },
      { Key: 'team', Value: 'platform' },
    ]);
    expect(await tagsOf(RuleArn!)).toEqual([{ Key: 'team', Value: 'platform' }]);
  });

  it('tags a rule on a custom bus by its bus-qualified ARN', async () => {
    await eb.client.send(new CreateEventBusCommand({ Name: 'ami-lifecycle-dev' }));
    const { RuleArn } = await eb.client.send(
      new PutRuleCommand({ Name: 'r', EventBusName: 'ami-lifecycle-dev', EventPattern: PATTERN }),
    );

    await eb.client.send(new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: 'k', Value: '' }] }));

    expect(RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/ami-lifecycle-dev/r`);
    expect(await tagsOf(RuleArn!)).toEqual([{ Key: 'k', Value: '' }]);
  });

  it('tags, lists and untags an event bus, with the tags CreateEventBus gave it', async () => {
    const { EventBusArn } = await eb.client.send(
      new CreateEventBusCommand({ Name: 'ami-lifecycle-dev', Tags: [{ Key: 'owner', Value: 'ami' }] }),
    );

    await eb.client.send(
      new TagResourceCommand({ ResourceARN: EventBusArn, Tags: [{ Key: 'stage', Value: 'dev' }] }),
    );
    const tagged = await tagsOf(EventBusArn!);
    await eb.client.send(new UntagResourceCommand({ ResourceARN: EventBusArn, TagKeys: ['owner'] }));

    expect(tagged).toEqual([
      { Key: 'owner', Value: 'ami' },
      { Key: 'stage', Value: 'dev' },
    ]);
    expect(await tagsOf(EventBusArn!)).toEqual([{ Key: 'stage', Value: 'dev' }]);
  });

  it('lists no tags for the default bus', async () => {
    expect(await tagsOf(`arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`)).toEqual([]);
  });

  it.each([
    [
      'a rule',
      `arn:aws:events:${REGION}:${ACCOUNT}:rule/missing`,
      'Rule missing does not exist on EventBus default.',
    ],
    ['a bus', `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/missing`, 'Event bus missing does not exist.'],
    [
      "another account's bus",
      `arn:aws:events:${REGION}:222222222222:event-bus/default`,
      'Event bus default does not exist.',
    ],
  ])('answers ResourceNotFoundException for %s that does not exist', async (_what, arn, message) => {
    for (const call of [
      new TagResourceCommand({ ResourceARN: arn, Tags: [{ Key: 'k', Value: 'v' }] }),
      new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['k'] }),
      new ListTagsForResourceCommand({ ResourceARN: arn }),
    ]) {
      // biome-ignore lint/suspicious/noExplicitAny: three command types through one client
      const error = await errorOf(eb.client.send(call as any));

      expect(error.name).toBe('ResourceNotFoundException');
      expect(error.message).toBe(message);
      expect(error.$metadata?.httpStatusCode).toBe(400);
    }
  });

  it('refuses a key or value over the length limits, naming the member as AWS does', async () => {
    const { RuleArn } = await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: PATTERN }));
    const longKey = 'k'.repeat(129);

    const keyError = await errorOf(
      eb.client.send(
        new TagResourceCommand({
          ResourceARN: RuleArn,
          Tags: [
            { Key: 'ok', Value: 'v' },
            { Key: longKey, Value: 'v' },
          ],
        }),
      ),
    );
    const valueError = await errorOf(
      eb.client.send(
        new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }),
      ),
    );
    const emptyKeyError = await errorOf(
      eb.client.send(new UntagResourceCommand({ ResourceARN: RuleArn, TagKeys: [''] })),
    );

    expect(keyError.name).toBe('ValidationException');
    expect(keyError.message).toBe(
      `1 validation error detected: Value '${longKey}' at 'tags.2.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`,
    );
    expect(valueError.message).toContain(
      "at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256",
    );
    expect(emptyKeyError.name).toBe('ValidationException');
    expect(await tagsOf(RuleArn!)).toEqual([]);
    // 128 and 256 characters are allowed.
    await eb.client.send(
      new TagResourceCommand({
        ResourceARN: RuleArn,
        Tags: [{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }],
      }),
    );
    expect(await tagsOf(RuleArn!)).toHaveLength(1);
  });

  it('allows 50 tags on a resource and refuses a 51st, changing nothing', async () => {
    const { RuleArn } = await eb.client.send(new PutRuleCommand({ Name: 'r', EventPattern: PATTERN }));
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    await eb.client.send(new TagResourceCommand({ ResourceARN: RuleArn, Tags: fifty }));

    // Replacing a value keeps the count at 50; a new key would make 51.
    await eb.client.send(
      new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: 'k0', Value: 'new' }] }),
    );
    const error = await errorOf(
      eb.client.send(new TagResourceCommand({ ResourceARN: RuleArn, Tags: [{ Key: 'k50', Value: 'v' }] })),
    );
    const busError = await errorOf(
      eb.client.send(
        new CreateEventBusCommand({
          Name: 'too-many',
          Tags: [...fifty, { Key: 'extra', Value: 'v' }],
        }),
      ),
    );

    expect(error.name).toBe('ValidationException');
    expect(busError.name).toBe('ValidationException');
    const tags = await tagsOf(RuleArn!);
    expect(tags).toHaveLength(50);
    expect(tags).toContainEqual({ Key: 'k0', Value: 'new' });
  });

  it('refuses an ARN that names no rule or bus', async () => {
    const error = await errorOf(
      eb.client.send(
        new ListTagsForResourceCommand({ ResourceARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:f` }),
      ),
    );

    expect(error.name).toBe('ValidationException');
  });
});
