import { AwsError } from '../errors';
import type { CloudContext, EmulatedService } from '../types';
import { Ec2Service, type Ec2ServiceOptions } from './ec2';
import { type DeliveryFaults, EventsService } from './events';
import { Inspector2Service, type Inspector2ServiceOptions } from './inspector2';
import { SfnService } from './sfn';
import { SnsService } from './sns';
import { SqsService } from './sqs';
import { SsmService } from './ssm';
import { StsService } from './sts';

/** Calls a deployed function in process; the cloud installs it once serverless.yml is deployed. */
export type LambdaInvoker = (functionArn: string, payload: unknown) => Promise<unknown>;

/** Options for the emulators, passed through by `startLocalCloud`. */
export interface ServiceOptions {
  ec2?: Ec2ServiceOptions;
  inspector2?: Inspector2ServiceOptions;
  /** Read at every invocation, so functions deployed after the services start are found. */
  lambda?: () => LambdaInvoker | undefined;
  /**
   * `Invoke` with `InvocationType: Event`, as EventBridge calls functions: resolves once accepted; the
   * function's errors are Lambda's to retry and send to its failure destination, not the caller's.
   * Without it, EventBridge waits for the function and treats its error as a failed delivery.
   */
  lambdaAsync?: () => LambdaInvoker | undefined;
  /** The edge's endpoint once it listens: the origin of queue URLs handed out in process. */
  endpoint?: () => string;
}

/** The emulated services of a full cloud; `all` is what the edge routes to. */
export interface CloudServices {
  sts: StsService;
  ec2: Ec2Service;
  ssm: SsmService;
  events: EventsService;
  sfn: SfnService;
  inspector2: Inspector2Service;
  sqs: SqsService;
  sns: SnsService;
  all: EmulatedService[];
}

/**
 * Builds STS, EC2 and SSM on one context. EC2 and SSM need each other (SSM checks `aws:ec2:image` values
 * against EC2's images; EC2 resolves `resolve:ssm:` image ids of launch templates through SSM), so each
 * gets a closure over the other rather than the other itself. SSM answers EC2's DescribeImageReferences
 * for `ssm:Parameter`.
 */
export const createServices = (ctx: CloudContext, opts: ServiceOptions = {}): CloudServices => {
  const sts = new StsService(ctx);
  let ssm: SsmService | undefined;
  const ec2 = new Ec2Service(ctx, {
    ...opts.ec2,
    resolveSsmParameter:
      opts.ec2?.resolveSsmParameter ??
      ((accountId, region, name) => ssmParameterValue(ssm, accountId, region, name)),
  });
  ssm = new SsmService(ctx, ec2.instances, {
    // As AWS: the AMI must be available, not merely known (pending, disabled or deregistered fail).
    imageExists: (accountId, region, imageId) =>
      ec2.getImage(accountId, region, imageId)?.state === 'available',
  });
  const parameters = ssm.parameters;
  ec2.addImageReferenceProvider('ssm:Parameter', (accountId, region, imageIds) =>
    parameters.imageReferences(accountId, region, imageIds),
  );
  const invokeLambda: LambdaInvoker = (arn, payload) => {
    const invoker = opts.lambda?.();
    if (!invoker)
      return Promise.reject(new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404));
    return invoker(arn, payload);
  };
  const sfn = new SfnService(ctx, { invokeLambda });
  const sqs = new SqsService(ctx, opts.endpoint);
  const sns = new SnsService(
    ctx,
    {
      // As SNS's service principal; SQS's own checks (size, attributes) refuse what it would refuse.
      sendToQueue: (arn, body, attributes) => {
        sqs.sendToArn(arn, body, attributes, 'sns.amazonaws.com');
      },
      // SNS invokes functions asynchronously, as EventBridge does.
      invokeLambda: (arn, event) => {
        const invoker = opts.lambdaAsync?.();
        return invoker ? invoker(arn, event) : invokeLambda(arn, event);
      },
    },
    opts.endpoint,
  );
  const events = new EventsService(ctx, {
    invokeLambda: (arn, payload) => {
      const invoker = opts.lambdaAsync?.();
      return invoker ? invoker(arn, payload) : invokeLambda(arn, payload);
    },
    // Resolves once the execution has started: EventBridge delivery must not wait on simulated time.
    startExecution: async (arn, input, name) => sfn.startExecution(arn, JSON.parse(input), name),
    sendToQueue: (arn, body, attributes) => {
      sqs.sendToArn(
        arn,
        body,
        Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]),
        ),
        'events.amazonaws.com',
      );
    },
    // EventBridge publishes as its service principal, on behalf of the rule: the topic's policy decides.
    publishToTopic: (topicArn, message, source) => {
      sns.publishAsService(topicArn, message, {
        service: 'events.amazonaws.com',
        sourceArn: source.ruleArn,
        sourceAccount: source.accountId,
      });
    },
    ...(isDeliveryFaults(ctx.faults) ? { faults: ctx.faults } : {}),
  });
  const inspector2 = new Inspector2Service(ctx, ec2.instances, {
    regions: () => ec2.regions(),
    ...opts.inspector2,
  });
  return {
    sts,
    ec2,
    ssm,
    events,
    sfn,
    inspector2,
    sqs,
    sns,
    all: [sts, ec2, ssm, events, sfn, inspector2, sqs, sns],
  };
};

/** The cloud's `FaultInjector` makes copies of deliveries; a bare `FaultView` (a service test's) does not. */
const isDeliveryFaults = (faults: unknown): faults is DeliveryFaults =>
  typeof (faults as Partial<DeliveryFaults>).deliveryCopies === 'function' &&
  typeof (faults as Partial<DeliveryFaults>).count === 'function';

/** A parameter's current value as `accountId` reads it in `region` (public ones included), if any. */
const ssmParameterValue = (
  ssm: SsmService | undefined,
  accountId: string,
  region: string,
  name: string,
): string | undefined => {
  if (!ssm) return undefined;
  try {
    const found = ssm.parameters.getParameter(
      { accountId, region, arn: `arn:aws:iam::${accountId}:root` },
      { Name: name },
    ) as { Parameter?: { Value?: string } };
    return found.Parameter?.Value;
  } catch {
    // ParameterNotFound and friends: EC2 refuses the launch with its own error.
    return undefined;
  }
};
