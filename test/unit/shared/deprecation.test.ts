import { EC2Client, EnableImageDeprecationCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { deprecateImage } from '../../../functions/shared/aws/retention';

describe('deprecateImage', () => {
  const client = new EC2Client({ region: 'us-east-1' });
  let ec2: ReturnType<typeof mockClient>;
  before(() => {
    ec2 = mockClient(client);
  });
  beforeEach(() => ec2.reset());
  after(() => ec2.restore());

  it('schedules the deprecation at the given time', async () => {
    ec2.on(EnableImageDeprecationCommand).resolves({ Return: true });
    const at = new Date('2026-12-24T00:00:00Z');
    expect(await deprecateImage(client, 'ami-1', at)).to.equal(true);
    expect(ec2.commandCalls(EnableImageDeprecationCommand)[0]?.args[0].input).to.deep.equal({
      ImageId: 'ami-1',
      DeprecateAt: at,
    });
  });

  it('reports an endpoint without the action instead of failing', async () => {
    ec2
      .on(EnableImageDeprecationCommand)
      .rejects(Object.assign(new Error('not valid'), { name: 'InvalidAction' }));
    expect(await deprecateImage(client, 'ami-1', new Date())).to.equal(false);
  });

  it('lets any other error through', async () => {
    ec2
      .on(EnableImageDeprecationCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    let error: Error | undefined;
    try {
      await deprecateImage(client, 'ami-1', new Date());
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).to.equal('UnauthorizedOperation');
  });
});
