import type {
  CommandInvocation,
  CommandPort,
  CommandStatus,
  RunCommandsRequest,
  SentCommandRef,
} from '@ami-lifecycle/core';
import {
  type CommandInvocationStatus,
  GetCommandInvocationCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { sharedSsmClient } from './clients/ssm';
import { awsErrorCode, callAws, ResourceNotFoundError } from './errors';
import { collectPages } from './paginate';

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

/**
 * `CommandPort` over SSM Run Command (`AWS-RunShellScript`). `send` is the client SendCommand goes
 * through: give it one without retries (`maxAttempts: 1`). An SDK retry of a SendCommand whose answer was
 * lost runs the command again; the caller's own retry looks the command up by its comment first and
 * follows the one already sent.
 */
export class SsmCommands implements CommandPort {
  constructor(
    private readonly ssm: SSMClient = sharedSsmClient(),
    private readonly send: SSMClient = ssm,
  ) {}

  async runCommands(request: RunCommandsRequest): Promise<{ commandId: string }> {
    const out = await callAws('ssm', 'SendCommand', () =>
      this.send.send(
        new SendCommandCommand({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [request.instanceId],
          ...(request.comment !== undefined ? { Comment: request.comment } : {}),
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

  async findCommands(instanceId: string, comment: string): Promise<SentCommandRef[]> {
    // ListCommands filters by instance but not by comment; an instance's commands are few.
    const commands = await collectPages('ssm:ListCommands', async (NextToken) => {
      const out = await callAws('ssm', 'ListCommands', () =>
        this.ssm.send(new ListCommandsCommand({ InstanceId: instanceId, MaxResults: 50, NextToken })),
      );
      return { items: out.Commands, nextToken: out.NextToken };
    }).catch((err: unknown) => {
      // A node SSM does not manage (yet) was sent nothing: SendCommand would have refused it.
      if (awsErrorCode(err) === 'InvalidInstanceId') return [];
      throw err;
    });
    return commands
      .filter((c) => c.Comment === comment && c.CommandId)
      .map((c) => ({
        commandId: c.CommandId!,
        requestedAt: (c.RequestedDateTime ?? new Date(0)).toISOString(),
      }))
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  }
}
