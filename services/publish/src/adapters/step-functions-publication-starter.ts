import { startNamedExecution } from '@ami-lifecycle/aws';
import type { SFNClient } from '@aws-sdk/client-sfn';
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
      const outcome = await startNamedExecution(this.sfn, this.stateMachineArn, executionName, { request });
      return { outcome, executionName };
    } catch (err) {
      throw new PublicationStartError(request.publicationId, { cause: err });
    }
  }
}
