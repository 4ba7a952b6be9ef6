import { config } from '../amibake.config';
import { resolveDeployment } from '../deployment/model';
import { deployerPolicy } from '../policies/deployer';
import { policyJson } from '../policies/statement';
import { PROJECT_ROOT } from './bundle-functions';

/**
 * `npm run --silent deployer-policy -- <account id> [partition]`: the IAM policy the principal
 * that deploys amibake.config.ts needs (policies/deployer.ts), as JSON, for the role your CI
 * assumes to run `cdktf deploy`.
 */
const [account, partition = 'aws'] = process.argv.slice(2);
if (!account || !/^\d{12}$/.test(account)) {
  console.error(
    `the account id must be 12 digits, got ${JSON.stringify(account ?? null)}: npm run --silent deployer-policy -- 123456789012`,
  );
  process.exit(2);
}
const deployment = resolveDeployment(config, { projectRoot: PROJECT_ROOT, bucket: '' });
console.log(
  JSON.stringify(JSON.parse(policyJson(deployerPolicy(deployment, { partition, account }))), null, 2),
);
