import {
  ContractViolationError,
  type ImageBuiltDetail,
  imageBuilt,
  readFixture,
} from '@ami-lifecycle/contracts';
import { EventPublishError, type EventPublisher } from '@ami-lifecycle/core';
import type { ContractDetails } from '../../src';

const built = readFixture(imageBuilt.fixtures.valid[0]!) as ImageBuiltDetail;

/** An event as it reached the bus. */
export interface DeliveredEvent {
  eventId: string;
  source: string;
  detailType: string;
  detail: unknown;
  /** Set by the local cloud when the bus did not exist; never set by a fake. */
  droppedNoSuchBus?: unknown;
}

export interface EventsSubject {
  port: EventPublisher<ContractDetails>;
  /** Every event on the controller's bus so far. */
  delivered(): Promise<DeliveredEvent[]>;
  /** A publisher whose bus refuses every entry, and the error code it refuses with. */
  refusing(): Promise<{ publisher: EventPublisher<ContractDetails>; errorCode: string }>;
  close?(): Promise<void>;
}

/** The behaviour every `EventPublisher` adapter must have; the subject is shared by the suite's tests. */
export const describeEventsContract = (name: string, makeSubject: () => Promise<EventsSubject>): void => {
  describe(`${name} (event publisher contract)`, () => {
    let s: EventsSubject;
    let publisher: EventPublisher<ContractDetails>;
    beforeAll(async () => {
      s = await makeSubject();
      publisher = s.port;
    });
    afterAll(async () => {
      await s?.close?.();
    });

    it('puts a valid event on the custom bus with the controller as source', async () => {
      const { eventId } = await publisher.publish('Image Built', built);

      const event = (await s.delivered()).find((e) => e.eventId === eventId);
      expect(event?.droppedNoSuchBus).toBeUndefined();
      expect(event).toMatchObject({ source: 'ami-lifecycle', detailType: 'Image Built', detail: built });
    });

    it('answers a distinct event id for every publish', async () => {
      const first = await publisher.publish('Image Built', built);
      const second = await publisher.publish('Image Built', built);

      expect(second.eventId).not.toBe(first.eventId);
    });

    it('refuses a detail that breaks its contract and sends nothing', async () => {
      const before = (await s.delivered()).length;

      await expect(
        publisher.publish('Image Built', { ...built, imageId: 'not-an-ami' } as ImageBuiltDetail),
      ).rejects.toBeInstanceOf(ContractViolationError);
      expect(await s.delivered()).toHaveLength(before);
    });

    it('throws EventPublishError when the bus reports a failed entry', async () => {
      const { publisher: failing, errorCode } = await s.refusing();

      await expect(failing.publish('Image Built', built)).rejects.toMatchObject({
        name: 'EventPublishError',
        errorCode,
      });
      await expect(failing.publish('Image Built', built)).rejects.toBeInstanceOf(EventPublishError);
    });
  });
};
