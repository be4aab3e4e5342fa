import type { ParameterPort } from '@ami-lifecycle/core';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { sharedSsmClient } from './clients/ssm';
import { awsErrorCode, callAws, ResourceNotFoundError } from './errors';

/**
 * `ParameterPort` over SSM Parameter Store. AMI ids are written with `DataType: aws:ec2:image`, which
 * AWS validates asynchronously: the version `PutParameter` answers shows in `GetParameter` only once
 * the image is confirmed, and never when it is not.
 */
export class SsmParameters implements ParameterPort {
  constructor(private readonly ssm: SSMClient = sharedSsmClient()) {}

  async putImageParameter(name: string, amiId: string): Promise<{ version: number }> {
    const out = await callAws('ssm', 'PutParameter', () =>
      this.ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: amiId,
          Type: 'String',
          DataType: 'aws:ec2:image',
          Overwrite: true,
        }),
      ),
    );
    if (out.Version === undefined) throw new ResourceNotFoundError('version of SSM parameter', name);
    return { version: out.Version };
  }

  async getParameter(name: string): Promise<{ value: string; version: number } | undefined> {
    try {
      const out = await callAws('ssm', 'GetParameter', () =>
        this.ssm.send(new GetParameterCommand({ Name: name })),
      );
      const p = out.Parameter;
      if (p?.Value === undefined || p.Version === undefined)
        throw new ResourceNotFoundError('value of SSM parameter', name);
      return { value: p.Value, version: p.Version };
    } catch (err) {
      if (awsErrorCode(err) === 'ParameterNotFound') return undefined;
      throw err;
    }
  }
}
