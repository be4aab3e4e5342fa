import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueDepthPort } from '../use-cases/ports';

/** The depth of an SQS queue, by its URL (`GetQueueAttributes`, SQS's approximate counts). */
export class SqsQueueDepth implements QueueDepthPort {
  constructor(
    private readonly queueUrl: string,
    private readonly sqs: SQSClient,
  ) {}

  async depth(): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const out = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const count = (name: string) => Number(out.Attributes?.[name as keyof typeof out.Attributes] ?? 0) || 0;
    return {
      visible: count('ApproximateNumberOfMessages'),
      inFlight: count('ApproximateNumberOfMessagesNotVisible'),
      delayed: count('ApproximateNumberOfMessagesDelayed'),
    };
  }
}
