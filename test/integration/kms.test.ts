import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { expect } from 'chai';
import type { BuildRecord } from '../../functions/shared/build-record';
import { runBakeCycle } from '../../local/bake-cycle';
import { EMULATED_ACCOUNT } from '../../local/emulator/callers';
import type { LocalAccount } from '../../local/local-account';
import { leftovers } from '../support/leftovers';
import { deployed, ecsRecipe, localAccount, scratchDir, testConfig } from '../support/local-account';

/** A key policy that lets the account's IAM policies decide, as KMS's default key policy does. */
const delegating = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM policies',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${EMULATED_ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

/** A key policy that lets only one other role use the key: IAM policies alone cannot. */
const someoneElses = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${EMULATED_ACCOUNT}:role/storage-admins` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

async function createKey(account: LocalAccount, region: string, policy: object): Promise<string> {
  const created = await account.emulator.clients
    .inRegion(region)
    .kms.send(new CreateKeyCommand({ Policy: JSON.stringify(policy), Description: 'amibake test key' }));
  return created.KeyMetadata?.Arn ?? '';
}

/**
 * EC2 uses a customer managed key with the caller's rights, and KMS lets it only when the key
 * policy does (itself, or by letting the account's IAM policies decide, which must then allow it).
 */
describe('customer managed keys, as KMS authorizes them', function () {
  this.timeout(300_000);
  const scratch = scratchDir();
  after(() => scratch.remove());

  it("builds on the recipe's key and copies with the copy region's, each used by the role that needs it", async () => {
    const account = await localAccount();
    const home = await createKey(account, 'us-east-1', delegating);
    const west = await createKey(account, 'eu-west-1', delegating);
    const { stack } = await deployed(
      testConfig([
        ecsRecipe('ecs-node', {
          rootVolume: { kmsKeyId: home },
          distribution: { copies: [{ region: 'eu-west-1', kmsKeyId: west }] },
        }),
      ]),
    );
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const [build] = builds as [BuildRecord];
    expect(build.status, build.reason).to.equal('succeeded');
    expect(build.copies?.['eu-west-1']).to.match(/^ami-/);

    const roles = stack.deployment.names.functionRoles;
    const used = (key: string, role: string) =>
      account.emulator.authorizer.decisions.filter(
        (d) => d.resource === key && d.action === 'kms:Decrypt' && d.principal.includes(`/${role}/`),
      );
    // The launch encrypts the build's volume with the recipe's key; the copy decrypts the
    // source's snapshots with it (ami_image_create's own grant) and encrypts with the copy's.
    expect(used(home, roles.instanceCreate).every((d) => d.allowed)).to.equal(true);
    expect(used(home, roles.instanceCreate)).to.not.have.length(0);
    expect(used(home, roles.imageCreate).map((d) => d.allowed)).to.include(true);
    expect(used(west, roles.imageCreate).map((d) => d.allowed)).to.include(true);
    expect(await leftovers(account.emulator.clients, stack)).to.deep.equal([]);
  });

  it('launches nothing on a key whose policy does not let the account decide, however IAM allows it', async () => {
    const account = await localAccount();
    const theirs = await createKey(account, 'us-east-1', someoneElses);
    const { stack } = await deployed(
      testConfig([ecsRecipe('ecs-node', { rootVolume: { kmsKeyId: theirs } })]),
    );
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    const [build] = builds as [BuildRecord];
    expect(build.status).to.equal('failed');
    expect(build.reason).to.match(/^RunInstances failed: UnauthorizedOperation/);
    expect(build.reason).to.contain(
      `because the key policy of ${theirs} does not allow it, itself or through the role's IAM policies`,
    );
    expect(await leftovers(account.emulator.clients, stack)).to.deep.equal([]);
  });
});
