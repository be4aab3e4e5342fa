import {
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DisableImageBlockPublicAccessCommand,
  EnableImageBlockPublicAccessCommand,
  GetImageBlockPublicAccessStateCommand,
  ModifyImageAttributeCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  buildImage,
  type Ec2Harness,
  errorCode,
  ORG_ARN,
  OUTSIDER,
  ouArn,
  REGION,
  startEc2,
  TOOLING,
  WORKLOADS,
} from './support';

describe('EC2 image sharing and attributes', () => {
  let h: Ec2Harness;
  let imageId: string;
  beforeEach(async () => {
    h = await startEc2();
    imageId = await buildImage(h, 'golden-shared');
  });
  afterEach(() => h.close());

  const canSee = async (accountId: string) => {
    try {
      await h.clientFor(accountId).send(new DescribeImagesCommand({ ImageIds: [imageId] }));
      return true;
    } catch (e) {
      expect((e as Error).name).toBe('InvalidAMIID.NotFound');
      return false;
    }
  };
  const canLaunch = async (accountId: string) => {
    try {
      await h
        .clientFor(accountId)
        .send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
      return true;
    } catch (e) {
      expect((e as Error).name).toBe('InvalidAMIID.NotFound');
      return false;
    }
  };
  const share = (perm: Record<string, string>) =>
    h.client.send(new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Add: [perm] } }));
  const unshare = (perm: Record<string, string>) =>
    h.client.send(
      new ModifyImageAttributeCommand({ ImageId: imageId, LaunchPermission: { Remove: [perm] } }),
    );

  it('keeps a private image from other accounts until a launch permission by account id', async () => {
    expect(await canSee(WORKLOADS)).toBe(false);
    expect(await canLaunch(WORKLOADS)).toBe(false);
    await share({ UserId: WORKLOADS });
    expect(await canSee(WORKLOADS)).toBe(true);
    expect(await canLaunch(WORKLOADS)).toBe(true);
    expect(await canSee(OUTSIDER)).toBe(false);
    expect(await canLaunch(OUTSIDER)).toBe(false);
    await unshare({ UserId: WORKLOADS });
    expect(await canLaunch(WORKLOADS)).toBe(false);
  });

  it('shares with the organisation: members launch, the outsider still cannot', async () => {
    await share({ OrganizationArn: ORG_ARN });
    expect(await canLaunch(WORKLOADS)).toBe(true);
    expect(await canLaunch(OUTSIDER)).toBe(false);
    expect(await canSee(OUTSIDER)).toBe(false);
  });

  it('shares with an OU: accounts in that OU only', async () => {
    await share({ OrganizationalUnitArn: ouArn('ou-root-tooling1') });
    expect(await canLaunch(WORKLOADS)).toBe(false);
    await share({ OrganizationalUnitArn: ouArn('ou-root-workload') });
    expect(await canLaunch(WORKLOADS)).toBe(true);
    expect(await canLaunch(OUTSIDER)).toBe(false);
  });

  it('makes an image public with Group=all and private again', async () => {
    await share({ Group: 'all' });
    expect(await canLaunch(OUTSIDER)).toBe(true);
    const seen = (await h.clientFor(OUTSIDER).send(new DescribeImagesCommand({ ImageIds: [imageId] })))
      .Images![0]!;
    expect(seen.Public).toBe(true);
    await unshare({ Group: 'all' });
    expect(await canSee(OUTSIDER)).toBe(false);
  });

  it('lists every grant in DescribeImageAttribute launchPermission', async () => {
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        LaunchPermission: {
          Add: [
            { UserId: WORKLOADS },
            { OrganizationArn: ORG_ARN },
            { OrganizationalUnitArn: ouArn('ou-root-workload') },
          ],
        },
      }),
    );
    const out = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(out.ImageId).toBe(imageId);
    expect(out.LaunchPermissions).toEqual([
      { UserId: WORKLOADS },
      { OrganizationArn: ORG_ARN },
      { OrganizationalUnitArn: ouArn('ou-root-workload') },
    ]);
  });

  it('accepts the older OperationType + UserIds / UserGroups form', async () => {
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        Attribute: 'launchPermission',
        OperationType: 'add',
        UserIds: [WORKLOADS],
        UserGroups: ['all'],
      }),
    );
    const out = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'launchPermission' }),
    );
    expect(out.LaunchPermissions).toEqual([{ Group: 'all' }, { UserId: WORKLOADS }]);
  });

  it('refuses bad grants: malformed account, unknown organisation, malformed OU', async () => {
    expect(await errorCode(share({ UserId: '1234' }))).toBe('InvalidAMIAttributeItemValue');
    expect(await errorCode(share({ Group: 'everyone' }))).toBe('InvalidAMIAttributeItemValue');
    expect(
      await errorCode(
        share({ OrganizationArn: `arn:aws:organizations::${TOOLING}:organization/o-otherorg999` }),
      ),
    ).toBe('InvalidParameterValue');
    expect(await errorCode(share({ OrganizationalUnitArn: 'arn:aws:organizations::x:ou/bad' }))).toBe(
      'InvalidParameterValue',
    );
  });

  it('lets only the owner modify or read attributes', async () => {
    await share({ UserId: WORKLOADS });
    const workloads = h.clientFor(WORKLOADS);
    expect(
      await errorCode(
        workloads.send(
          new ModifyImageAttributeCommand({
            ImageId: imageId,
            LaunchPermission: { Add: [{ UserId: OUTSIDER }] },
          }),
        ),
      ),
    ).toBe('AuthFailure');
    expect(
      await errorCode(
        workloads.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' })),
      ),
    ).toBe('AuthFailure');
    expect(
      await errorCode(
        h
          .clientFor(OUTSIDER)
          .send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' })),
      ),
    ).toBe('InvalidAMIID.NotFound');
  });

  it('sets and reads the description and other attributes', async () => {
    await h.client.send(
      new ModifyImageAttributeCommand({
        ImageId: imageId,
        Description: { Value: 'Golden AL2023, hardened' },
      }),
    );
    const d = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'description' }),
    );
    expect(d.Description?.Value).toBe('Golden AL2023, hardened');
    const bdm = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'blockDeviceMapping' }),
    );
    expect(bdm.BlockDeviceMappings![0]!.DeviceName).toBe('/dev/xvda');
    const protection = await h.client.send(
      new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'deregistrationProtection' }),
    );
    expect(protection.DeregistrationProtection?.Value).toBe('disabled');
    expect(
      await errorCode(
        h.client.send(new DescribeImageAttributeCommand({ ImageId: imageId, Attribute: 'colour' as never })),
      ),
    ).toBe('InvalidParameterValue');
    expect(await errorCode(h.client.send(new ModifyImageAttributeCommand({ ImageId: imageId })))).toBe(
      'InvalidParameterCombination',
    );
  });

  it('blocks new public sharing while image block public access is on, never other sharing', async () => {
    const state = async () =>
      (await h.client.send(new GetImageBlockPublicAccessStateCommand({}))).ImageBlockPublicAccessState;
    expect(await state()).toBe('unblocked');
    const enabled = await h.client.send(
      new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'block-new-sharing' }),
    );
    expect(enabled.ImageBlockPublicAccessState).toBe('block-new-sharing');
    expect((await h.client.send(new GetImageBlockPublicAccessStateCommand({}))).ManagedBy).toBe('account');
    expect(await errorCode(share({ Group: 'all' }))).toBe('OperationNotPermitted');
    await share({ UserId: WORKLOADS });
    expect(await canLaunch(WORKLOADS)).toBe(true);
    // The setting is per account and region.
    expect(
      (await h.clientFor(WORKLOADS).send(new GetImageBlockPublicAccessStateCommand({})))
        .ImageBlockPublicAccessState,
    ).toBe('unblocked');
    expect(
      (await h.clientFor(TOOLING, 'us-east-1').send(new GetImageBlockPublicAccessStateCommand({})))
        .ImageBlockPublicAccessState,
    ).toBe('unblocked');
    const disabled = await h.client.send(new DisableImageBlockPublicAccessCommand({}));
    expect(disabled.ImageBlockPublicAccessState).toBe('unblocked');
    await share({ Group: 'all' });
    expect(await canSee(OUTSIDER)).toBe(true);
    expect(
      await errorCode(
        h.client.send(
          new EnableImageBlockPublicAccessCommand({ ImageBlockPublicAccessState: 'unblocked' as never }),
        ),
      ),
    ).toBe('InvalidParameterValue');
  });

  it('offers getImage to other emulators with the same visibility rules', async () => {
    expect(h.ec2.getImage(TOOLING, REGION, imageId)?.name).toBe('golden-shared');
    expect(h.ec2.getImage(WORKLOADS, REGION, imageId)).toBeUndefined();
    await share({ OrganizationArn: ORG_ARN });
    expect(h.ec2.getImage(WORKLOADS, REGION, imageId)?.imageId).toBe(imageId);
    expect(h.ec2.getImage(OUTSIDER, REGION, imageId)).toBeUndefined();
    expect(h.ec2.listImages(TOOLING, REGION).map((i) => i.imageId)).toEqual([imageId]);
  });
});
