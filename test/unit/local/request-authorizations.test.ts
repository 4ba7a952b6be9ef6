import { expect } from 'chai';
import type { AccountFacts } from '../../../local/emulator/iam/account-facts';
import { ec2Authorizations } from '../../../local/emulator/iam/ec2-authorizations';
import { requestContext } from '../../../local/emulator/iam/request-context';

const facts: AccountFacts = {
  tagsOf: async (_region, id): Promise<Record<string, string>> =>
    id.startsWith('ami-') ? {} : { 'amibake:deployment': 'amibake', 'amibake:build-id': 'b-1' },
  defaultSubnet: async () => 'subnet-0aaa',
  defaultSecurityGroup: async () => 'sg-0bbb',
  roleOfInstanceProfile: async (name) => `arn:aws:iam::123456789012:role/${name}`,
  launchTemplateId: async (_region, name) => (name === 'web' ? 'lt-0123456789abcdef0' : undefined),
  autoScalingGroupArn: async () => undefined,
  imageOwner: async (_region, id) => (id === 'ami-9' ? '123456789012' : 'amazon'),
  encryptionKey: async (region, keyId) => ({
    kind: 'customer',
    arn: `arn:aws:kms:${region}:123456789012:key/${keyId}`,
    policy: {},
  }),
  imageKey: (_region, id) => (id === 'ami-9' ? 'source-key' : undefined),
};
const scope = { region: 'us-east-1', account: '123456789012', partition: 'aws', facts };
const form = (entries: Record<string, string>) => new URLSearchParams(entries);

describe('what IAM authorizes for an EC2 request', () => {
  it('authorizes RunInstances on each resource it touches, the tags at launch and the role it passes', async () => {
    const list = await ec2Authorizations(
      'RunInstances',
      form({
        ImageId: 'ami-0123',
        InstanceType: 't3.small',
        'IamInstanceProfile.Name': 'amibake-build-instance',
        'TagSpecification.1.ResourceType': 'instance',
        'TagSpecification.1.Tag.1.Key': 'amibake:build-id',
        'TagSpecification.1.Tag.1.Value': 'b-1',
      }),
      scope,
    );
    if ('unmapped' in list) throw new Error('unmapped');
    expect(list.map((a) => `${a.action} ${a.resource}`)).to.deep.equal([
      'ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:instance/*',
      'ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:volume/*',
      'ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:network-interface/*',
      'ec2:RunInstances arn:aws:ec2:us-east-1::image/ami-0123',
      'ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0aaa',
      'ec2:RunInstances arn:aws:ec2:us-east-1:123456789012:security-group/sg-0bbb',
      'ec2:CreateTags arn:aws:ec2:us-east-1:123456789012:instance/*',
      'iam:PassRole arn:aws:iam::123456789012:role/amibake-build-instance',
    ]);
    expect(list[0]?.facts).to.deep.include({
      'aws:RequestTag/amibake:build-id': 'b-1',
      'aws:TagKeys': ['amibake:build-id'],
    });
    expect(list[6]?.facts).to.deep.include({ 'ec2:CreateAction': 'RunInstances' });
    expect(list[7]?.facts).to.deep.equal({ 'iam:PassedToService': 'ec2.amazonaws.com' });
  });

  it("authorizes CopyImage on the source image, with its owner, the new image and snapshots, and the source's key", async () => {
    const list = await ec2Authorizations(
      'CopyImage',
      form({ SourceImageId: 'ami-9', SourceRegion: 'us-east-1' }),
      {
        ...scope,
        region: 'eu-west-1',
      },
    );
    if ('unmapped' in list) throw new Error('unmapped');
    expect(list.slice(0, 3).map((a) => a.resource)).to.deep.equal([
      'arn:aws:ec2:us-east-1::image/ami-9',
      'arn:aws:ec2:eu-west-1::image/*',
      'arn:aws:ec2:eu-west-1::snapshot/*',
    ]);
    // The source's snapshots are encrypted: EC2 uses their key, in the source region, as the caller.
    expect(list.slice(3).map((a) => `${a.action} ${a.resource}`)).to.deep.equal(
      [
        'kms:CreateGrant',
        'kms:Decrypt',
        'kms:DescribeKey',
        'kms:GenerateDataKeyWithoutPlaintext',
        'kms:ReEncryptFrom',
        'kms:ReEncryptTo',
      ].map((action) => `${action} arn:aws:kms:us-east-1:123456789012:key/source-key`),
    );
    expect(list[3]?.facts).to.deep.equal({
      'kms:ViaService': 'ec2.us-east-1.amazonaws.com',
      'kms:CallerAccount': '123456789012',
      'kms:GrantIsForAWSResource': 'true',
    });
    const source = list[0];
    if (!source) throw new Error('no source');
    // The keys the Service Authorization Reference gives the source image survive; its tags are not among them.
    expect(await requestContext(source, {})).to.deep.equal({
      'ec2:ImageID': 'ami-9',
      'ec2:Owner': '123456789012',
    });
  });

  it('gives ModifyImageAttribute the attribute a request names, and the value it sets', async () => {
    const contextOf = async (entries: Record<string, string>) => {
      const list = await ec2Authorizations(
        'ModifyImageAttribute',
        form({ ImageId: 'ami-9', ...entries }),
        scope,
      );
      if ('unmapped' in list || !list[0]) throw new Error('unmapped');
      return requestContext(list[0], {});
    };
    expect(await contextOf({ Attribute: 'imdsSupport', Value: 'v2.0' })).to.deep.equal({
      'ec2:Attribute': 'imdsSupport',
      'ec2:Attribute/imdsSupport': 'v2.0',
      'ec2:ImageID': 'ami-9',
      'ec2:Owner': '123456789012',
    });
    expect(
      await contextOf({ Attribute: 'launchPermission', OperationType: 'add', 'UserGroup.1': 'all' }),
    ).to.include({ 'ec2:Attribute': 'launchPermission' });
    // The structured form names no attribute: a statement that requires one does not allow it.
    expect(await contextOf({ 'LaunchPermission.Add.1.Group': 'all' })).to.not.have.property('ec2:Attribute');
  });

  it("gives a terminated instance's tags as resource tags", async () => {
    const list = await ec2Authorizations('TerminateInstances', form({ 'InstanceId.1': 'i-1' }), scope);
    if ('unmapped' in list) throw new Error('unmapped');
    expect(list[0]?.facts).to.include({
      'aws:ResourceTag/amibake:deployment': 'amibake',
      'ec2:InstanceID': 'i-1',
    });
  });

  it('refuses to guess: an operation without a mapping is reported', async () => {
    expect(await ec2Authorizations('AttachVolume', form({}), scope)).to.deep.equal({
      unmapped: 'ec2:AttachVolume',
    });
  });

  it('keeps only the facts that are condition keys of the action and resource type', async () => {
    const context = await requestContext(
      {
        action: 'ec2:CopyImage',
        resource: 'arn:aws:ec2:eu-west-1::image/*',
        resourceType: 'image',
        facts: { 'aws:RequestTag/a': '1', 'aws:ResourceTag/a': '1' },
      },
      {},
    );
    expect(context).to.deep.equal({ 'aws:RequestTag/a': '1' });
  });

  it('authorizes a new launch template version on the template, named by id or by name', async () => {
    for (const named of [
      { LaunchTemplateId: 'lt-0123456789abcdef0' },
      { LaunchTemplateName: 'web' },
    ] as Record<string, string>[]) {
      const list = await ec2Authorizations('CreateLaunchTemplateVersion', form(named), scope);
      expect(Array.isArray(list) && list.map((a) => [a.action, a.resource])).to.deep.equal([
        [
          'ec2:CreateLaunchTemplateVersion',
          'arn:aws:ec2:us-east-1:123456789012:launch-template/lt-0123456789abcdef0',
        ],
      ]);
    }
  });
});
