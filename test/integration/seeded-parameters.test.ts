import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand, GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { expect } from 'chai';
import { seedParameterOptions } from '../../local/emulator/gaps/ssm-gaps';
import type { LocalAccount } from '../../local/local-account';
import { localAccount } from '../support/local-account';

const SEEDED = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';

describe('public parameters the emulator lacks, seeded by the local run', () => {
  let account: LocalAccount;
  let imageId: string;

  before(async () => {
    account = await localAccount();
    const images = await account.emulator.clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    imageId = images.Images?.[0]?.ImageId ?? '';
    expect(imageId).to.match(/^ami-/);
  });

  it('is missing until seeded, as moto lacks it, and cannot be written through SSM', async () => {
    const { ssm } = account.emulator.clients;
    const before = await ssm.send(new GetParametersCommand({ Names: [`${SEEDED}-unseeded`] }));
    expect(before.InvalidParameters).to.deep.equal([`${SEEDED}-unseeded`]);
    const write = await ssm
      .send(new PutParameterCommand({ Name: `${SEEDED}-unseeded`, Value: imageId, Type: 'String' }))
      .then(
        () => 'written',
        (error: Error) => `${error.name}: ${error.message}`,
      );
    expect(write).to.not.equal('written');
    // The refusal of a reserved name (under /aws), not an IAM denial: the operator may do anything.
    expect(write).to.match(/^AccessDeniedException: No access to reserved parameter name/);
  });

  it('answers GetParameters and GetParameter with the seeded value, in its region only', async () => {
    account.emulator.ssm.seed(account.region, SEEDED, imageId);
    const { ssm } = account.emulator.clients;
    const both = await ssm.send(new GetParametersCommand({ Names: [SEEDED, '/aws/service/not-there'] }));
    expect(both.Parameters?.map((p) => [p.Name, p.Value, p.ARN])).to.deep.equal([
      [SEEDED, imageId, `arn:aws:ssm:${account.region}::parameter${SEEDED}`],
    ]);
    expect(both.InvalidParameters).to.deep.equal(['/aws/service/not-there']);
    const one = await ssm.send(new GetParameterCommand({ Name: SEEDED }));
    expect(one.Parameter?.Value).to.equal(imageId);
    const elsewhere = await account.emulator.clients
      .inRegion('eu-west-1')
      .ssm.send(new GetParametersCommand({ Names: [SEEDED] }));
    expect(elsewhere.InvalidParameters).to.deep.equal([SEEDED]);
  });

  it('takes NAME=IMAGE_ID from the command line, and refuses anything else with the form it takes', () => {
    expect(
      seedParameterOptions([
        '--seed-parameter',
        `${SEEDED}=ami-0abcdef1234567890`,
        '--seed-parameter=/a/b=ami-12345678',
      ]),
    ).to.deep.equal([
      { name: SEEDED, value: 'ami-0abcdef1234567890' },
      { name: '/a/b', value: 'ami-12345678' },
    ]);
    expect(() => seedParameterOptions(['--seed-parameter', 'ubuntu=ami-1'])).to.throw(
      '--seed-parameter takes NAME=IMAGE_ID, such as /aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id=ami-0abcdef1234567890, got "ubuntu=ami-1"',
    );
    expect(() => seedParameterOptions(['--seed-parameter'])).to.throw('got ""');
  });
});
