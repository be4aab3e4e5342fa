import { callAws } from '@ami-lifecycle/aws';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
    try {
      const out = await callAws('sfn', 'StartExecution', () =>
        this.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: this.stateMachineArn,
            name,
            input: JSON.stringify(input),
          }),
        ),
      );
      return { executionArn: out.executionArn ?? this.executionArn(name), alreadyStarted: false };
    } catch (err) {
      if (
        err instanceof ExecutionAlreadyExists ||
        (err as { name?: unknown }).name === 'ExecutionAlreadyExists'
      )
        return { executionArn: this.executionArn(name), alreadyStarted: true };
      throw err;
    }
  }

  /** An execution's ARN is its machine's, with `execution` for `stateMachine` and the name appended. */
  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }
}
