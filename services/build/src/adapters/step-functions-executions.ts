import { startNamedExecution } from '@ami-lifecycle/aws';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { BuildExecutionsPort } from '../use-cases/deps';

/**
 * `BuildExecutionsPort` over Step Functions' StartExecution. A name already used is the redelivery case:
 * AWS answers the running execution for the same name and input, and `ExecutionAlreadyExists` otherwise
 * (a closed execution, or a different input), which here is a duplicate, not an error.
 */
export class StepFunctionsBuildExecutions implements BuildExecutionsPort {
  constructor(
    private readonly stateMachineArn: string,
    private readonly sfn: SFNClient,
  ) {}

  async start(name: string, input: unknown): Promise<{ executionArn: string; alreadyStarted: boolean }> {
    const outcome = await startNamedExecution(this.sfn, this.stateMachineArn, name, input);
    return { executionArn: this.executionArn(name), alreadyStarted: outcome === 'duplicate' };
  }

  /** An execution's ARN is its machine's, with `execution` for `stateMachine` and the name appended. */
  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}
