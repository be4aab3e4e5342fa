import { InspectorFindings, inspector2Client } from '@ami-lifecycle/aws';
import { lazy } from '@ami-lifecycle/lambda-kit';
import { env } from './env';

/** Inspector's coverage and findings in the home region. */
export const findings = lazy(() => new InspectorFindings(inspector2Client({ region: env.AWS_REGION })));
