import { startNamedExecution } from '@ami-lifecycle/aws';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { InspectionStartError } from '../errors';
import type { InspectionStarter } from '../use-cases/deps';
import type { InspectionRequest } from '../use-cases/inspection';

/**
 * `InspectionStarter` over Step Functions: one execution of the inspect state machine per inspection,
 * named by its `inspectionId`, with `{ request }` as input. The same name with the same input while it
 * runs answers the running execution; once it closed, AWS refuses it (`ExecutionAlreadyExists`), which
 * is what a duplicate is.
 */
export class StepFunctionsInspectionStarter implements InspectionStarter {
  constructor(
    private readonly stateMachineArn: string,
    private readonly sfn: SFNClient,
  ) {}

  async start(request: InspectionRequest) {
    const executionName = request.inspectionId;
    try {
      const outcome = await startNamedExecution(this.sfn, this.stateMachineArn, executionName, { request });
      return { outcome, executionName };
    } catch (err) {
      throw new InspectionStartError(request.inspectionId, { cause: err });
    }
  }
}
