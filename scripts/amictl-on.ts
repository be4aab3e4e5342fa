import { createClients, Ec2Images, EventBridgePublisher, SsmParameters } from '@ami-lifecycle/aws';
import {
  type AmictlDeps,
  awsRetentionPorts,
  decommissionStateMachineName,
  runAmictl,
  sqsDeadLetterReader,
} from '@ami-lifecycle/cli';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalPipeline } from './local-pipeline';

export interface AmictlRun {
  code: number;
  out: string;
  err: string;
}

/**
 * `amictl` as an operator runs it against a stage deployed on the local cloud: its catalog and bus, the
 * home region's clients and every other region's, the live inventory of every account (other accounts'
 * through their roles), the stage's decommission state machine and its events dead-letter queue; SSM waits
 * spend simulated time. Nobody
 * answers: `retention apply` without `--yes` is answered no (exit 1, nothing started).
 */
export const amictlOn =
  (pipeline: LocalPipeline, home: string) =>
  async (...argv: string[]): Promise<AmictlRun> => {
    const { cloud } = pipeline;
    const out: string[] = [];
    const err: string[] = [];
    const deps: AmictlDeps = {
      catalog: pipeline.catalog,
      events: new EventBridgePublisher(pipeline.bus, createClients(cloud.clientConfig).eventBridge),
      clock: cloud.clock,
      region: home,
      regions: (region) => {
        const c = createClients({ ...cloud.clientConfig, region });
        return { images: new Ec2Images(c.ec2, c.ssm), parameters: new SsmParameters(c.ssm) };
      },
      decommission: awsRetentionPorts({
        home,
        clientOptions: cloud.clientConfig,
        stateMachine: { name: decommissionStateMachineName(pipeline.stage) },
      }),
      deadLetters: sqsDeadLetterReader(new SQSClient(cloud.clientConfig), async () => {
        const sqs = new SQSClient(cloud.clientConfig);
        const found = await sqs.send(new GetQueueUrlCommand({ QueueName: `${pipeline.bus}-events-dlq` }));
        return found.QueueUrl!;
      }),
      confirm: async () => false,
      pause: (seconds) => cloud.clock.advance(seconds),
      readFile: () => {
        throw new Error('no files here');
      },
      user: 'operator',
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    };
    const code = await runAmictl(argv, deps);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
