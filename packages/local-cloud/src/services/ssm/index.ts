import type { AwsError } from '../../errors';
import { decodeState, encodeState, expectRecord } from '../../persistence/codec';
import { dispatchJson, jsonErrorReply, jsonReply, targetOperation } from '../../protocols/json';
import type {
  CloudContext,
  EmulatedService,
  InstanceDirectory,
  ServiceRequest,
  ServiceResponse,
} from '../../types';
import { CommandRunner } from './commands';
import {
  type Caller,
  DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS,
  type ImageExists,
  ParameterStore,
} from './parameters';
import type { Body } from './wire';

export {
  DEFAULT_DELIVERY_TIMEOUT_SECONDS,
  DEFAULT_EXECUTION_TIMEOUT_SECONDS,
  DELIVERY_SECONDS,
  WATCH_SECONDS,
} from './commands';
export {
  DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS,
  IMAGE_VALIDATION_FAILED,
  type ImageExists,
} from './parameters';
export { compareVersions, PACKAGE_REPOSITORIES, runScript, STEP_SECONDS } from './shell';

export interface SsmServiceOptions {
  /**
   * Answers whether an AMI exists and is visible to an account in a region, for `aws:ec2:image`
   * parameters (EC2 provides it), when their background validation ends. Without it only the id's
   * format is checked.
   */
  imageExists?: ImageExists;
  /**
   * Simulated seconds from a PutParameter of an `aws:ec2:image` value until its background validation
   * ends: the new version is invisible until then, and is dropped if the image isn't there.
   * `DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS` (2) by default.
   */
  imageParameterValidationSeconds?: number;
}

const TARGET_PREFIX = 'AmazonSSM.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The SSM emulator (JSON 1.1, `X-Amz-Target: AmazonSSM.<Operation>`): Parameter Store, including the
 * public `/aws/service/...` parameters of every region, and Run Command against the instances EC2 owns.
 * Behaviour and its differences from AWS are listed in this folder's README.
 */
export class SsmService implements EmulatedService {
  readonly signingName = 'ssm';
  readonly parameters: ParameterStore;
  readonly commands: CommandRunner;
  private readonly operations: Record<string, (caller: Caller, body: Body) => unknown>;

  constructor(ctx: CloudContext, instances: InstanceDirectory, options: SsmServiceOptions = {}) {
    this.parameters = new ParameterStore(
      ctx,
      options.imageExists,
      options.imageParameterValidationSeconds ?? DEFAULT_IMAGE_PARAMETER_VALIDATION_SECONDS,
    );
    this.commands = new CommandRunner(ctx, instances);
    const p = this.parameters;
    const c = this.commands;
    this.operations = {
      PutParameter: (caller, body) => p.putParameter(caller, body),
      GetParameter: (caller, body) => p.getParameter(caller, body),
      GetParameters: (caller, body) => p.getParameters(caller, body),
      GetParametersByPath: (caller, body) => p.getParametersByPath(caller, body),
      GetParameterHistory: (caller, body) => p.getParameterHistory(caller, body),
      DeleteParameter: (caller, body) => p.deleteParameter(caller, body),
      DeleteParameters: (caller, body) => p.deleteParameters(caller, body),
      DescribeParameters: (caller, body) => p.describeParameters(caller, body),
      LabelParameterVersion: (caller, body) => p.labelParameterVersion(caller, body),
      AddTagsToResource: (caller, body) => p.addTagsToResource(caller, body),
      RemoveTagsFromResource: (caller, body) => p.removeTagsFromResource(caller, body),
      ListTagsForResource: (caller, body) => p.listTagsForResource(caller, body),
      SendCommand: (caller, body) => c.sendCommand(caller, body),
      GetCommandInvocation: (caller, body) => c.getCommandInvocation(caller, body),
      ListCommandInvocations: (caller, body) => c.listCommandInvocations(caller, body),
      ListCommands: (caller, body) => c.listCommands(caller, body),
      CancelCommand: (caller, body) => c.cancelCommand(caller, body),
    };
  }

  operation(req: ServiceRequest): string {
    return targetOperation(req, TARGET_PREFIX);
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const caller: Caller = { accountId: req.principal.accountId, region: req.region, arn: req.principal.arn };
    return jsonReply(
      CONTENT_TYPE,
      200,
      dispatchJson(this.operations, operation, 'SSM', caller, req.body),
      req,
    );
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    return jsonErrorReply(CONTENT_TYPE, err, req, 'InternalServerError');
  }

  /** Parameters (with their history, labels, tags and validations under way) and commands, as JSON. */
  snapshotState(): unknown {
    return encodeState({ parameters: this.parameters.exportState(), commands: this.commands.exportState() });
  }

  /** Replaces this emulator's state with a `snapshotState` of an earlier run (see `importState` of each part). */
  restoreState(saved: unknown): void {
    const data = expectRecord(decodeState(saved), '$');
    this.parameters.importState(expectRecord(data.parameters, '$.parameters'));
    this.commands.importState(expectRecord(data.commands, '$.commands'));
  }
}
