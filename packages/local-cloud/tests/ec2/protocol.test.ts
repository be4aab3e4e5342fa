import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { al2023, type Ec2Harness, errorCode, startEc2 } from './support';

/**
 * Raw requests, for what the SDK will not send. The edge routes by the SigV4 credential scope and the
 * emulator does not verify signatures, so a well-formed Authorization header is enough.
 */
const AUTH =
  'AWS4-HMAC-SHA256 Credential=test/20260301/eu-west-1/ec2/aws4_request, SignedHeaders=host, Signature=00';

describe('EC2 Query protocol', () => {
  let h: Ec2Harness;
  beforeEach(async () => {
    h = await startEc2();
  });
  afterEach(() => h.close());

  const post = (body: string) =>
    fetch(`${h.edge.endpoint}/`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body,
    });

  it('wraps answers in <XResponse> with the EC2 namespace and the request id', async () => {
    const res = await post(`Action=DescribeImages&Version=2016-11-15&ImageId.1=${al2023()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const xml = await res.text();
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeImagesResponse xmlns="http:\/\/ec2.amazonaws.com\/doc\/2016-11-15\/"><requestId>[0-9a-f-]{36}<\/requestId><imagesSet><item><imageId>ami-/,
    );
    expect(xml).toContain('<imageState>available</imageState>');
    expect(xml.endsWith('</DescribeImagesResponse>')).toBe(true);
  });

  it('answers an unknown action with InvalidAction in the EC2 error document', async () => {
    const res = await post('Action=LaunchRockets&Version=2016-11-15');
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toMatch(
      /<Response><Errors><Error><Code>InvalidAction<\/Code><Message>The action LaunchRockets is not valid for this web service\.<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
  });

  it('answers a missing required parameter with MissingParameter and no Action with MissingAction', async () => {
    const missing = await post('Action=CreateImage&Version=2016-11-15&Name=abc');
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain('<Code>MissingParameter</Code>');
    const noAction = await post('Version=2016-11-15');
    expect(await noAction.text()).toContain('<Code>MissingAction</Code>');
  });

  it('accepts the parameters in a GET query string', async () => {
    const res = await fetch(`${h.edge.endpoint}/?Action=GetImageBlockPublicAccessState&Version=2016-11-15`, {
      headers: { authorization: AUTH },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(
      '<imageBlockPublicAccessState>unblocked</imageBlockPublicAccessState>',
    );
  });

  it('escapes XML in messages', async () => {
    const bad = await post(
      'Action=DescribeImages&Version=2016-11-15&Filter.1.Name=%3Cscript%3E&Filter.1.Value.1=x',
    );
    expect(await bad.text()).toContain('<Message>The filter &apos;&lt;script&gt;&apos; is invalid</Message>');
  });

  it('answers DryRun on a read with DryRunOperation (HTTP 412)', async () => {
    expect(await errorCode(h.client.send(new DescribeImagesCommand({ DryRun: true })))).toBe(
      'DryRunOperation',
    );
    const res = await post('Action=DescribeImages&Version=2016-11-15&DryRun=true');
    expect(res.status).toBe(412);
  });
});
