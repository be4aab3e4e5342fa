import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { Ec2Images, SsmParameters } from '../src';
import { AL2023_PARAMETER, startTestCloud, type TestCloud } from './support/cloud';

// The adapter-independent behaviour is in contracts/parameters-contract.ts (parameters-contract.test.ts);
// here is what only SSM's raw view of the parameter can show.
describe('SsmParameters', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(() => t.cloud.stop());

  it('writes a String parameter of data type aws:ec2:image', async () => {
    const imageId = await new Ec2Images(t.clients.ec2, t.clients.ssm).resolveSsmImageParameter(
      AL2023_PARAMETER,
    );

    await new SsmParameters(t.clients.ssm).putImageParameter('/ami-lifecycle/golden/latest', imageId);
    await t.cloud.clock.advance(5);
    const { Parameter } = await t.clients.ssm.send(
      new GetParameterCommand({ Name: '/ami-lifecycle/golden/latest' }),
    );

    expect(Parameter).toMatchObject({ Type: 'String', DataType: 'aws:ec2:image', Value: imageId });
  });
});
