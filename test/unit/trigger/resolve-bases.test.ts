import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { resolveBases } from '../../../functions/ami-build-trigger/resolve-bases';
import { parseRecipe } from '../../../functions/shared/recipe';
import { selectorKey } from '../../../functions/shared/recipe-hash';

describe('resolveBases', () => {
  const ec2 = new EC2Client({ region: 'us-east-1' });
  const mocked = mockClient(ec2);
  after(() => mocked.restore());

  it('refuses a described base that turns out to be Windows, whatever its name says', async () => {
    mocked.reset();
    mocked.on(DescribeImagesCommand).resolves({
      Images: [
        {
          ImageId: 'ami-0123456789abcdef0',
          Name: 'golden-base-2026.11.29',
          Platform: 'Windows',
          Architecture: 'x86_64',
          State: 'available',
          CreationDate: '2026-11-29T06:00:00.000Z',
        },
      ],
    });
    const recipe = parseRecipe(
      {
        name: 'golden',
        base: { describe: { owners: ['self'], name: 'golden-base-*' } },
        script: 's3://bucket/golden.sh',
      },
      { scripts: 's3', deployment: 'amibake' },
    );
    const resolved = await resolveBases(
      { ec2, ssm: new SSMClient({}) },
      [recipe],
      new Date('2026-11-29T07:00:00Z'),
    );
    expect(resolved.get(selectorKey(recipe.base))).to.deep.equal({
      ok: false,
      reason:
        'ami-0123456789abcdef0 (golden-base-2026.11.29): Windows bases are not supported: the customisation runs as a shell script from user data, which Windows (EC2Launch) does not run',
      errorCode: 'UnsupportedBase',
    });
  });
});
