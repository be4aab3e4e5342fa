import { type ImageBuiltDetail, imageBuilt, readFixture } from '@ami-lifecycle/contracts';
import { EventPublishError } from '@ami-lifecycle/core';
import { MemoryEventPublisher } from '../src/memory';
import { describeEventsContract } from './contracts/events-contract';
import { localEvents } from './contracts/local-cloud-subjects';
import { memoryEvents } from './contracts/memory-subjects';

describeEventsContract('EventBridgePublisher on the local cloud', localEvents);
describeEventsContract('MemoryEventPublisher', memoryEvents);

describe('MemoryEventPublisher test controls', () => {
  const built = readFixture(imageBuilt.fixtures.valid[0]!) as ImageBuiltDetail;

  it('refuses only the next publish after failNext, and lists accepted events by detail-type', async () => {
    const publisher = new MemoryEventPublisher();
    publisher.failNext('ThrottlingException', 'slow down');

    await expect(publisher.publish('Image Built', built)).rejects.toBeInstanceOf(EventPublishError);
    const { eventId } = await publisher.publish('Image Built', built);

    expect(publisher.published('Image Built')).toMatchObject([{ eventId, detail: built }]);
    expect(publisher.published('Image Approved')).toEqual([]);
  });
});
