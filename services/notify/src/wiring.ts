/**
 * The one place the notify handlers' adapters are built: from the typed environment, read when a handler
 * module loads (a missing or malformed variable fails the cold start, naming it); each adapter once per
 * container, on first use. Each handler builds the set it needs at module scope (`eventDeps()`,
 * `subscriptionDeps()`, `deadLetterDeps()`): the others, and the SDK clients only they use, are left out
 * of its bundle.
 */
import { inspector2Client, SnsNotifications, snsClient } from '@ami-lifecycle/aws';
import { createDocumentClient, DynamoDbCatalog } from '@ami-lifecycle/catalog';
import {
  DEAD_LETTER_QUEUE_URL_VARIABLE,
  lambdaClock,
  lazy,
  loadEnv,
  perKey,
} from '@ami-lifecycle/lambda-kit';
import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { DynamoNotifyStore } from './adapters/dynamo-store';
import { InspectorFindingDetails } from './adapters/inspector-details';
import { SqsQueueDepth } from './adapters/sqs-depth';
import type { NotifyDeps, QueueDepthPort } from './use-cases/ports';

const env = loadEnv(
  z.object({
    CATALOG_TABLE: z.string().min(1),
    AWS_REGION: z.string().min(1),
    NOTIFY_TOPIC_ARN: z.string().regex(/^arn:/, 'must be the ARN of the notifications topic'),
    [DEAD_LETTER_QUEUE_URL_VARIABLE]: z.string().min(1),
  }),
);

/** The catalog table: the catalog's items, this service's own (`DynamoNotifyStore`) and the idempotency records. */
export const catalogTable = env.CATALOG_TABLE;

/** The catalog, the topic and the service's own items, each built on first use. */
const base = (): Omit<NotifyDeps, 'findings'> => {
  const documentClient = lazy(() => createDocumentClient({ region: env.AWS_REGION }));
  const catalog = lazy(() => new DynamoDbCatalog({ tableName: env.CATALOG_TABLE, client: documentClient() }));
  const store = lazy(() => new DynamoNotifyStore(env.CATALOG_TABLE, documentClient()));
  // One client per region: an external topic of the policy may be in another region than the stage's.
  const topic = lazy(() => new SnsNotifications(perKey((region) => snsClient({ region }))));
  const logger = lazy(() => new Logger({ serviceName: 'notify' }));
  return {
    get catalog() {
      return catalog();
    },
    get topic() {
      return topic();
    },
    get store() {
      return store();
    },
    topicArn: env.NOTIFY_TOPIC_ARN,
    // The host's clock when there is one (the local cloud's simulated time), the system clock on Lambda.
    clock: lambdaClock,
    region: env.AWS_REGION,
    // Logged, never thrown: an external topic that refused a message, an address that could not be subscribed.
    report: (what, detail) => logger().warn(what, detail),
  };
};

/** What the event handler needs: the catalog, the topic, its own items, Inspector's findings. */
export const eventDeps = (): NotifyDeps => {
  const findings = lazy(() => new InspectorFindingDetails(inspector2Client({ region: env.AWS_REGION })));
  return Object.defineProperty(base(), 'findings', { get: findings, enumerable: true }) as NotifyDeps;
};

/** What `Build Requested` and the reconciler need: no Inspector, no queue. */
export const subscriptionDeps = (): Omit<NotifyDeps, 'findings'> => base();

/** What the dead-letter check needs: the queue besides, and its name for the message. */
export const deadLetterDeps = () => {
  const url = env[DEAD_LETTER_QUEUE_URL_VARIABLE];
  const queue = lazy(
    (): QueueDepthPort =>
      // The queue URL is a body field: requests go to the configured endpoint, not the URL's host.
      new SqsQueueDepth(url, new SQSClient({ region: env.AWS_REGION, useQueueUrlAsEndpoint: false })),
  );
  // Properties added, not spread: spreading would read the getters, building every adapter at once.
  return Object.defineProperties(base(), {
    queue: { get: queue, enumerable: true },
    queueName: { value: url.slice(url.lastIndexOf('/') + 1), enumerable: true },
  }) as Omit<NotifyDeps, 'findings'> & { queue: QueueDepthPort; queueName: string };
};
