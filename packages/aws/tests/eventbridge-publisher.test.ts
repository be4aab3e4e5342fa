import {
  ContractViolationError,
  type ImageBuiltDetail,
  imageBuilt,
  readFixture,
} from '@ami-lifecycle/contracts';
import { EventPublishError } from '@ami-lifecycle/core';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../src';
import { startTestCloud, type TestCloud } from './support/cloud';

const BUS = 'ami-lifecycle-test';
const built = readFixture(imageBuilt.fixtures.valid[0]!) as ImageBuiltDetail;

describe('EventBridgePublisher', () => {
  let t: TestCloud;
  let publisher: EventBridgePublisher;
  beforeAll(async () => {
    t = await startTestCloud();
    await t.clients.eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
    publisher = new EventBridgePublisher(BUS, t.clients.eventBridge);
  });
  afterAll(() => t.cloud.stop());

  const onBus = () => t.cloud.services.events.ingested().filter((e) => e.eventBusArn.endsWith(`/${BUS}`));

  it('puts a valid event on the custom bus with the controller as source', async () => {
    const { eventId } = await publisher.publish('Image Built', built);

    const event = onBus().find((e) => e.event.id === eventId);
    expect(event?.droppedNoSuchBus).toBeUndefined();
    expect(event?.event).toMatchObject({
      source: 'ami-lifecycle',
      'detail-type': 'Image Built',
      detail: built,
    });
  });

  it('refuses a detail that breaks its contract and sends nothing', async () => {
    const before = onBus().length;

    await expect(
      publisher.publish('Image Built', { ...built, imageId: 'not-an-ami' } as ImageBuiltDetail),
    ).rejects.toBeInstanceOf(ContractViolationError);
    expect(onBus()).toHaveLength(before);
  });

  it('throws EventPublishError when EventBridge reports a failed entry', async () => {
    // A real failed entry from the cloud: the detail is corrupted after validation, on the wire.
    const client = new EventBridgeClient({ ...t.cloud.clientConfig, maxAttempts: 1 });
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Entries?: { Detail?: string }[] };
        for (const entry of input.Entries ?? []) entry.Detail = '{not json';
        return next(args);
      },
      { step: 'initialize' },
    );

    const failing = new EventBridgePublisher(BUS, client);

    await expect(failing.publish('Image Built', built)).rejects.toMatchObject({
      name: 'EventPublishError',
      errorCode: 'MalformedDetail',
    });
    await expect(failing.publish('Image Built', built)).rejects.toBeInstanceOf(EventPublishError);
  });
});
