import { writeFileSync } from 'node:fs';
import {
  createClients,
  Ec2Images,
  EventBridgePublisher,
  InspectorFindings,
  SsmParameters,
} from '@ami-lifecycle/aws';
import {
  type AmictlDeps,
  awsRetentionPorts,
  buildStateMachineName,
  decommissionStateMachineName,
  runAmictl,
  sfnBuildTracker,
  sqsDeadLetterReader,
} from '@ami-lifecycle/cli';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalPipeline } from './local-pipeline';

export interface AmictlRun {
  code: number;
  out: string;
  err: string;
}

/** What a caller may set on top of the stage's wiring. */
export interface AmictlOnOptions {
  /** The policy files `config validate|apply|diff` read (by default there are none: reading one fails). */
  readFile?: (path: string) => string;
  /** Who acts when `--by` does not say (default `operator`). */
  user?: string;
  /** Colour as on a terminal (default: none, as when stdout is not one). */
  color?: boolean;
  /** Where `report --html FILE` writes (by default the file system). */
  writeFile?: (path: string, content: string) => void;
}

/**
 * `amictl` as an operator runs it against a stage deployed on the local cloud: its catalog and bus, the
 * home region's clients and every other region's, the live inventory of every account (other accounts'
 * through their roles), the stage's decommission state machine and its events dead-letter queue, the
 * stage's build state machine and Inspector for `build --wait`; every wait (SSM's, and `build --wait`'s
 * between two looks) spends simulated time, so a followed build runs on the simulated clock. Nobody
 * answers: `retention apply` without `--yes` is answered no (exit 1, nothing started).
 */
export const amictlOn =
  (pipeline: LocalPipeline, home: string, options: AmictlOnOptions = {}) =>
  async (...argv: string[]): Promise<AmictlRun> => {
    const { cloud } = pipeline;
    const out: string[] = [];
    const err: string[] = [];
    const clients = createClients({ ...cloud.clientConfig, region: home });
    const deps: AmictlDeps = {
      catalog: pipeline.catalog,
      events: new EventBridgePublisher(pipeline.bus, clients.eventBridge),
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
      builds: sfnBuildTracker({
        clients,
        home,
        stateMachine: { name: buildStateMachineName(pipeline.stage) },
      }),
      findings: new InspectorFindings(clients.inspector2),
      deadLetters: sqsDeadLetterReader(new SQSClient(cloud.clientConfig), async () => {
        const sqs = new SQSClient(cloud.clientConfig);
        const found = await sqs.send(new GetQueueUrlCommand({ QueueName: `${pipeline.bus}-events-dlq` }));
        return found.QueueUrl!;
      }),
      confirm: async () => false,
      pause: (seconds) => cloud.clock.advance(seconds),
      sleep: (seconds) => cloud.clock.advance(seconds),
      color: options.color ?? false,
      endpoint: cloud.endpoint,
      readFile:
        options.readFile ??
        (() => {
          throw new Error('no files here');
        }),
      writeFile: options.writeFile ?? ((path, content) => writeFileSync(path, content, 'utf8')),
      user: options.user ?? 'operator',
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    };
    const code = await runAmictl(argv, deps);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
