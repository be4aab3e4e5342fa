import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { DeadLetterNotice, NotifyStore, Originator } from '../use-cases/ports';

/**
 * The notify service's own items in the catalog table, apart from the catalog's entities:
 *
 * | item                 | PK        | SK                                   | ttl                       |
 * | -------------------- | --------- | ------------------------------------ | ------------------------- |
 * | originator of a build | `NOTIFY`  | `ORIGINATOR#<correlation id, URI-encoded>` | when it stops counting |
 * | dead-letter notice   | `NOTIFY`  | `DEAD-LETTERS`                       |                           |
 *
 * One partition: originators live two weeks, one per build request by a person, and the reconciler lists
 * them all. The correlation id is encoded so that no key part holds the catalog's separator `#`.
 */
export const NOTIFY_PK = 'NOTIFY';
const ORIGINATOR_PREFIX = 'ORIGINATOR#';
const DEAD_LETTERS_SK = 'DEAD-LETTERS';

const originatorKey = (correlationId: string) => ({
  PK: NOTIFY_PK,
  SK: `${ORIGINATOR_PREFIX}${encodeURIComponent(correlationId)}`,
});

const toOriginator = (item: Record<string, unknown>): Originator => ({
  correlationId: String(item.correlationId),
  address: String(item.address),
  family: String(item.family),
  // A record without one matches no build.
  buildId: typeof item.buildId === 'string' ? item.buildId : '',
  requestedAt: String(item.requestedAt),
  expiresAt: String(item.expiresAt),
});

const live = (o: Originator, now: Date) => Date.parse(o.expiresAt) > now.getTime();

/** Pages of originators read at most (1 MB each): far past any fleet's two weeks of requests. */
const MAX_PAGES = 50;

export class DynamoNotifyStore implements NotifyStore {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient,
  ) {}

  async putOriginator(o: Originator): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...originatorKey(o.correlationId),
          ...o,
          // DynamoDB's TTL (epoch seconds) removes it some time after; readers check `expiresAt` themselves.
          ttl: Math.ceil(Date.parse(o.expiresAt) / 1000),
        },
      }),
    );
  }

  async getOriginator(correlationId: string, now: Date): Promise<Originator | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: originatorKey(correlationId) }),
    );
    const found = out.Item === undefined ? undefined : toOriginator(out.Item);
    return found !== undefined && live(found, now) ? found : undefined;
  }

  async listOriginators(now: Date): Promise<Originator[]> {
    const all: Originator[] = [];
    let start: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': NOTIFY_PK, ':prefix': ORIGINATOR_PREFIX },
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      all.push(...(out.Items ?? []).map(toOriginator));
      start = out.LastEvaluatedKey;
      if (start === undefined) break;
    }
    return all.filter((o) => live(o, now));
  }

  async getDeadLetterNotice(): Promise<DeadLetterNotice | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { PK: NOTIFY_PK, SK: DEAD_LETTERS_SK } }),
    );
    if (out.Item === undefined) return undefined;
    return { count: Number(out.Item.count), at: String(out.Item.at), told: out.Item.told === true };
  }

  async putDeadLetterNotice(n: DeadLetterNotice): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { PK: NOTIFY_PK, SK: DEAD_LETTERS_SK, ...n } }),
    );
  }
}

/** The same, in memory: the unit tests' twin. */
export class MemoryNotifyStore implements NotifyStore {
  readonly originators = new Map<string, Originator>();
  notice: DeadLetterNotice | undefined;

  async putOriginator(o: Originator): Promise<void> {
    this.originators.set(o.correlationId, { ...o });
  }
  async getOriginator(correlationId: string, now: Date): Promise<Originator | undefined> {
    const found = this.originators.get(correlationId);
    return found !== undefined && live(found, now) ? { ...found } : undefined;
  }
  async listOriginators(now: Date): Promise<Originator[]> {
    return [...this.originators.values()].filter((o) => live(o, now)).map((o) => ({ ...o }));
  }
  async getDeadLetterNotice(): Promise<DeadLetterNotice | undefined> {
    return this.notice === undefined ? undefined : { ...this.notice };
  }
  async putDeadLetterNotice(n: DeadLetterNotice): Promise<void> {
    this.notice = { ...n };
  }
}
