import type { CommandInvocation, CommandPort, CommandStatus, RunCommandsRequest } from '@ami-lifecycle/core';
import {
  type CommandInvocationStatus,
  GetCommandInvocationCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { sharedClients } from './clients';
import { awsErrorCode, callAws, ResourceNotFoundError } from './errors';

const STATUS: Record<CommandInvocationStatus, CommandStatus> = {
  Pending: 'pending',
  // Delayed: the instance cannot take it yet; SSM retries delivery until the delivery timeout.
  Delayed: 'pending',
  InProgress: 'in-progress',
  Success: 'success',
  Failed: 'failed',
  TimedOut: 'timed-out',
  Cancelled: 'cancelled',
  Cancelling: 'cancelled',
};

/** `CommandPort` over SSM Run Command (`AWS-RunShellScript`). */
export class SsmCommands implements CommandPort {
  constructor(private readonly ssm: SSMClient = sharedClients().ssm) {}

  async runCommands(request: RunCommandsRequest): Promise<{ commandId: string }> {
    const out = await callAws('ssm', 'SendCommand', () =>
      this.ssm.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [request.instanceId],
          Parameters: {
            commands: [...request.commands],
            executionTimeout: [String(request.timeoutSeconds)],
          },
        }),
      ),
    ).catch((err: unknown) => {
      if (awsErrorCode(err) === 'InvalidInstanceId')
        throw new ResourceNotFoundError('managed instance', request.instanceId, { cause: err });
      throw err;
    });
    const commandId = out.Command?.CommandId;
    if (!commandId) throw new ResourceNotFoundError('command', `sent to ${request.instanceId}`);
    return { commandId };
  }

  async getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation> {
    try {
      const out = await callAws('ssm', 'GetCommandInvocation', () =>
        this.ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId })),
      );
      const status = out.Status ? STATUS[out.Status] : 'pending';
      const finished = status !== 'pending' && status !== 'in-progress';
      return {
        status,
        // SSM reports -1 until the script ends.
        ...(finished && out.ResponseCode !== undefined && out.ResponseCode >= 0
          ? { exitCode: out.ResponseCode }
          : {}),
        stdout: out.StandardOutputContent ?? '',
        stderr: out.StandardErrorContent ?? '',
      };
    } catch (err) {
      // AWS may not know an invocation for a moment after SendCommand answered.
      if (awsErrorCode(err) === 'InvocationDoesNotExist')
        return { status: 'pending', stdout: '', stderr: '' };
      throw err;
    }
  }
}
