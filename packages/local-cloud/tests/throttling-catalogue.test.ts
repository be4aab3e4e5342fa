import { ec2RequestBucket, ec2ResourceCost } from '../src/ec2-throttling';

const params = (entries: Record<string, string> = {}) => new Map(Object.entries(entries));

describe("EC2's published throttling catalogue", () => {
  it.each([
    ['DescribeImages', {}, 'non-mutating', 100, 20],
    ['DescribeInstances', {}, 'unfiltered-unpaginated-non-mutating', 50, 10],
    ['DescribeInstances', { 'Filter.1.Name': 'tag:family' }, 'non-mutating', 100, 20],
    ['DescribeSnapshots', { MaxResults: '50' }, 'non-mutating', 100, 20],
    ['DescribeSnapshots', { NextToken: 'abc' }, 'non-mutating', 100, 20],
    ['CreateImage', {}, 'mutating', 50, 5],
    ['EnableImageDeprecation', {}, 'mutating', 50, 5],
    ['AuthorizeSecurityGroupIngress', {}, 'resource-intensive', 50, 5],
    ['CopyImage', {}, 'uncategorized', 100, 1],
    ['CreateTags', {}, 'uncategorized', 100, 10],
    ['DeregisterImage', {}, 'uncategorized', 100, 5],
    ['RunInstances', {}, 'uncategorized', 5, 2],
    ['TerminateInstances', {}, 'uncategorized', 100, 5],
  ])('puts %s %j in the %s bucket (%i tokens, %i per second)', (action, p, category, capacity, refill) => {
    expect(ec2RequestBucket(action, params(p))).toEqual({
      category,
      spec: { capacity, refillPerSecond: refill },
    });
  });

  it('charges the resource buckets one token per instance', () => {
    expect(ec2ResourceCost('RunInstances', params({ MinCount: '1', MaxCount: '3' }))).toMatchObject({
      tokens: 3,
      spec: { capacity: 1000, refillPerSecond: 2 },
    });
    expect(
      ec2ResourceCost('TerminateInstances', params({ 'InstanceId.1': 'i-1', 'InstanceId.2': 'i-2' })),
    ).toMatchObject({ tokens: 2, spec: { capacity: 1000, refillPerSecond: 20 } });
    expect(ec2ResourceCost('StopInstances', params({ 'InstanceId.1': 'i-1' }))?.tokens).toBe(1);
    expect(ec2ResourceCost('CreateImage', params())).toBeUndefined();
  });
});
