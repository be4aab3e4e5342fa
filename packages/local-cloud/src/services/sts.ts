import { AwsError } from '../errors';
import { awsQueryError, awsQueryResponse, queryRequestParams } from '../protocols/query';
import type { CloudContext, EmulatedService, ServiceRequest, ServiceResponse } from '../types';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const OPERATIONS = new Set(['GetCallerIdentity', 'AssumeRole']);

/** AssumeRole's documented bounds: 15 minutes up to the 12-hour maximum a role can allow. */
export const MIN_SESSION_SECONDS = 900;
export const MAX_SESSION_SECONDS = 43_200;
const DEFAULT_SESSION_SECONDS = 3_600;
const ROLE_SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

/**
 * STS speaks the same validation-error sentence for every bad member, naming it in camelCase; SDKs and
 * people grep for it, so it is kept word for word.
 */
const validationError = (member: string, value: string | undefined, constraint: string) =>
  new AwsError(
    'ValidationError',
    `1 validation error detected: Value ${value === undefined ? 'null' : `'${value}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

/**
 * STS over the Query protocol: `GetCallerIdentity` and `AssumeRole`. Roles are not modelled beyond their
 * account, so any role ARN in a modelled account can be assumed; a role in an account the cloud does not
 * model is refused, which is what a missing trust relationship looks like to the caller.
 */
export class StsService implements EmulatedService {
  readonly signingName = 'sts';

  constructor(private readonly ctx: CloudContext) {}

  operation(req: ServiceRequest): string {
    const action = queryRequestParams(req.body, req.query).get('Action');
    if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action');
    if (!OPERATIONS.has(action)) {
      throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    }
    return action;
  }

  async handle(req: ServiceRequest, operation: string): Promise<ServiceResponse> {
    const params = queryRequestParams(req.body, req.query);
    switch (operation) {
      case 'GetCallerIdentity':
        return this.reply('GetCallerIdentity', req, {
          UserId: req.principal.userId,
          Account: req.principal.accountId,
          Arn: req.principal.arn,
        });
      case 'AssumeRole':
        return this.assumeRole(req, params);
      default:
        throw new AwsError('InvalidAction', `Could not find operation ${operation} for version 2011-06-15`);
    }
  }

  renderError(err: AwsError, req: ServiceRequest): ServiceResponse {
    return {
      status: err.status,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': req.requestId },
      body: awsQueryError(err, XMLNS, req.requestId),
    };
  }

  private assumeRole(req: ServiceRequest, params: Map<string, string>): ServiceResponse {
    const roleArn = params.get('RoleArn');
    if (roleArn === undefined) throw validationError('roleArn', undefined, 'Member must not be null');
    if (roleArn.length < 20 || roleArn.length > 2048) {
      throw validationError(
        'roleArn',
        roleArn,
        'Member must have length greater than or equal to 20 and less than or equal to 2048',
      );
    }
    const sessionName = params.get('RoleSessionName');
    if (sessionName === undefined) {
      throw validationError('roleSessionName', undefined, 'Member must not be null');
    }
    if (!ROLE_SESSION_NAME.test(sessionName)) {
      throw validationError(
        'roleSessionName',
        sessionName,
        'Member must have length between 2 and 64 and satisfy regular expression pattern: [\\w+=,.@-]*',
      );
    }
    const durationParam = params.get('DurationSeconds');
    const duration = durationParam === undefined ? DEFAULT_SESSION_SECONDS : Number(durationParam);
    if (!Number.isInteger(duration) || duration < MIN_SESSION_SECONDS || duration > MAX_SESSION_SECONDS) {
      throw validationError(
        'durationSeconds',
        durationParam,
        `Member must have value between ${MIN_SESSION_SECONDS} and ${MAX_SESSION_SECONDS}`,
      );
    }
    let issued: ReturnType<CloudContext['accounts']['issueRoleCredentials']>;
    try {
      issued = this.ctx.accounts.issueRoleCredentials(
        roleArn,
        sessionName,
        this.ctx.clock.nowMillis(),
        duration,
      );
    } catch (e) {
      // AWS answers a role it cannot assume with the caller named, not with the reason.
      if (e instanceof AwsError && e.code === 'AccessDenied') {
        throw new AwsError(
          'AccessDenied',
          `User: ${req.principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
          403,
        );
      }
      throw e;
    }
    return this.reply('AssumeRole', req, {
      Credentials: {
        AccessKeyId: issued.accessKeyId,
        SecretAccessKey: issued.secretAccessKey,
        SessionToken: issued.sessionToken,
        Expiration: new Date(issued.expiresAt).toISOString(),
      },
      AssumedRoleUser: { AssumedRoleId: issued.assumedRoleId, Arn: issued.arn },
      PackedPolicySize: params.has('Policy') ? 6 : undefined,
    });
  }

  private reply(action: string, req: ServiceRequest, result: Parameters<typeof awsQueryResponse>[2]) {
    return {
      status: 200,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': req.requestId },
      body: awsQueryResponse(action, XMLNS, result, req.requestId),
    };
  }
}
