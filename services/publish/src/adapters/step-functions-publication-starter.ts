import { awsErrorCode, callAws } from '@ami-lifecycle/aws';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublicationStartError } from '../errors';
import type { PublicationStarter } from '../use-cases/deps';
import type { PublicationRequest } from '../use-cases/publication';

/**
 * `PublicationStarter` over Step Functions: one execution of the publish state machine per publication,
 * named by its `publicationId`, with `{ request }` as input. The same name with the same input while it
 * runs answers the running execution; once it closed, AWS refuses it (`ExecutionAlreadyExists`), which is
 * what a duplicate is.
 */
export class StepFunctionsPublicationStarter implements PublicationStarter {
  constructor(
    private readonly stateMachineArn: string,
    private readonly sfn: SFNClient,
  ) {}

  async start(request: PublicationRequest) {
    const executionName = request.publicationId;
    try {
      await callAws('states', 'StartExecution', () =>
        this.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: this.stateMachineArn,
            name: executionName,
            input: JSON.stringify({ request }),
          }),
        ),
      );
      return { outcome: 'started' as const, executionName };
    } catch (err) {
      if (awsErrorCode(err) === 'ExecutionAlreadyExists')
        return { outcome: 'duplicate' as const, executionName };
      throw new PublicationStartError(request.publicationId, { cause: err });
    }
  }
}
