import { sfnClient } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { StepFunctionsBuildExecutions } from '../adapters/step-functions-executions';
import type { BuildExecutionsPort } from '../use-cases/deps';
import { env } from './env';

/** Executions of the build state machine, one per build. */
export const executions = lazy(
  (): BuildExecutionsPort =>
    new StepFunctionsBuildExecutions(env.BUILD_STATE_MACHINE_ARN, sfnClient({ region: env.AWS_REGION })),
);
