import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsErrorCode, callAws } from './errors';

/**
 * Starts one execution of a state machine under a name that identifies the work (a build id, a sweep
 * id), so that every start of the same work is one execution. The same name with the same input while it
 * runs answers the running execution; once it closed, AWS refuses it (`ExecutionAlreadyExists`): both are
 * a `duplicate`. Any other failure is thrown.
 */
export const startNamedExecution = async (
  sfn: SFNClient,
  stateMachineArn: string,
  name: string,
  input: unknown,
): Promise<'started' | 'duplicate'> => {
  try {
    await callAws('states', 'StartExecution', () =>
      sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) })),
    );
    return 'started';
  } catch (err) {
    if (awsErrorCode(err) === 'ExecutionAlreadyExists') return 'duplicate';
    throw err;
  }
};
