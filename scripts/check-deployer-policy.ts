import { CreatePolicyCommand } from '@aws-sdk/client-iam';
import { config as sample } from '../amibake.config';
import type { AmiBakeConfig } from '../deployment/config';
import { resolveDeployment } from '../deployment/model';
import { EMULATED_ACCOUNT } from '../local/emulator/callers';
import { AMAZON_LINUX_ACCOUNT } from '../local/emulator/gaps/sns-gaps';
import { LocalAccount } from '../local/local-account';
import { deployerPolicies, deployerPolicy, deployerReadOnlyPolicy } from '../policies/deployer';
import {
  MANAGED_POLICY_CHARACTERS,
  policyCharacters,
  resourceMatches,
  type Statement,
} from '../policies/statement';
import { PROJECT_ROOT } from './bundle-functions';

/**
 * `npm run test:deployer` (run by CI): the deployer's policy (policies/deployer.ts) against what
 * Terraform does. Each scenario deploys a stack into the emulator with credentials of its own,
 * updates it (a new schedule, log level and function architecture, and `retainData: false`, as
 * before any destroy) and destroys it, while the
 * emulator records the IAM action of every call Terraform signed (local/emulator/iam/call-actions.ts:
 * the call's action, the role it passes, the tags it sets on create). It fails when Terraform
 * called an action the policy lacks, when the policy grants an action Terraform never called,
 * or when a resource the stack created is outside the policy's resources. A reviewer's plan of
 * each deployed stack, with credentials of its own, is held to the read-only policy the same way.
 */

/** A managed policy of the account for the build instance (moto holds none of AWS's own). */
const BUILD_EXTRAS = 'build-instance-extras';
const RELEASE_TOPIC = `arn:aws:sns:us-east-1:${AMAZON_LINUX_ACCOUNT}:amazon-linux-2023-ami-updates`;
const [recipe] = sample.recipes;
if (!recipe) throw new Error('amibake.config.ts has no recipe');

const SCENARIOS: { name: string; config: AmiBakeConfig }[] = [
  {
    name: 'the sample: S3 recipes document, a release topic',
    config: {
      ...sample,
      namePrefix: 'deployer-s3',
      recipes: [{ ...recipe, base: { ...recipe.base, releaseTopic: RELEASE_TOPIC } }],
    },
  },
  {
    name: 'DynamoDB recipes, a copy region, a share, deprecation, a managed policy',
    config: {
      ...sample,
      namePrefix: 'deployer-ddb',
      recipeStore: 'dynamodb',
      authors: ['arn:aws:iam::123456789012:role/platform-authors'],
      buildInstance: { managedPolicyArns: [`arn:aws:iam::${EMULATED_ACCOUNT}:policy/${BUILD_EXTRAS}`] },
      recipes: [
        {
          ...recipe,
          lifecycle: { keep: 2, deprecateAfterDays: 30 },
          distribution: { copies: [{ region: 'eu-west-1' }], share: { accounts: ['111122223333'] } },
        },
      ],
    },
  },
];

async function main(): Promise<void> {
  const account = await LocalAccount.start();
  const problems: string[] = [];
  try {
    account.emulator.sns.vendorTopics.add(RELEASE_TOPIC);
    await account.emulator.clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: BUILD_EXTRAS,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*' }],
        }),
      }),
    );
    for (const scenario of SCENARIOS) {
      const credentials = account.emulator.callers.issueOperator();
      const called = account.emulator.recordActions(credentials.accessKeyId);
      const started = Date.now();
      const stack = await account.deploy(scenario.config, { credentials });
      const arns = await stack.terraform.resourceArns();
      // A reviewer's `cdktf diff` of the deployed stack: the plan refreshes every resource.
      const reviewer = account.emulator.callers.issueOperator();
      const read = account.emulator.recordActions(reviewer.accessKeyId);
      const planned = await stack.terraform.plan({ credentials: reviewer });
      const update: AmiBakeConfig = {
        ...scenario.config,
        schedule: 'rate(12 hours)',
        logLevel: 'debug',
        architecture: scenario.config.architecture === 'arm64' ? 'x86_64' : 'arm64',
        // As the README says to before a destroy: the bucket and the builds table may go.
        retainData: false,
      };
      const updated = await account.deploy(update, { credentials });
      const destroyed = await stack.terraform.destroy();
      const deployment = resolveDeployment(scenario.config, { projectRoot: PROJECT_ROOT, bucket: '' });
      const policy = deployerPolicy(deployment, { partition: 'aws', account: EMULATED_ACCOUNT });
      const granted = new Set(policy.flatMap((s) => s.actions));
      const readOnly = deployerReadOnlyPolicy(deployment, { partition: 'aws', account: EMULATED_ACCOUNT });
      const readable = new Set(readOnly.flatMap((s) => s.actions));
      const missing = [...called].filter((a) => !granted.has(a) && !NO_PERMISSION_NEEDED.has(a)).sort();
      const unused = [...granted].filter((a) => !called.has(a)).sort();
      const outside = arns.filter((arn) => !policy.some((s) => covers(s, arn)));
      for (const a of missing)
        problems.push(`${scenario.name}: Terraform called ${a}, which the policy lacks`);
      for (const a of unused)
        problems.push(`${scenario.name}: the policy grants ${a}, which Terraform never called`);
      for (const arn of outside) problems.push(`${scenario.name}: ${arn} is outside the policy's resources`);
      if (planned.length > 0)
        problems.push(
          `${scenario.name}: the reviewer's plan of the deployed stack has changes: ${planned.map((c) => c.address).join(', ')}`,
        );
      for (const a of [...read].filter((a) => !readable.has(a) && !NO_PERMISSION_NEEDED.has(a)).sort())
        problems.push(`${scenario.name}: the plan called ${a}, which the read-only policy lacks`);
      for (const a of [...readable].filter((a) => !read.has(a)).sort())
        problems.push(`${scenario.name}: the read-only policy grants ${a}, which the plan never called`);
      for (const p of [
        ...deployerPolicies(policy, 'deployer', 'deployer'),
        ...deployerPolicies(readOnly, 'reviewer', 'reviewer'),
      ]) {
        const size = policyCharacters(p.statements);
        if (size > MANAGED_POLICY_CHARACTERS)
          problems.push(
            `${scenario.name}: ${p.name} has ${size} characters, over IAM's ${MANAGED_POLICY_CHARACTERS}`,
          );
      }
      console.log(
        `${scenario.name}: created ${stack.apply.created}, changed ${updated.apply.changed}, destroyed ${destroyed.destroyed}; ` +
          `${called.size} actions called, ${granted.size} granted, ${arns.length} resource ARNs checked; ` +
          `the plan called ${read.size} actions, the read-only policy grants ${readable.size} (${Math.round((Date.now() - started) / 1000)} s)`,
      );
    }
  } finally {
    await account.stop();
  }
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(
    'the deployer policy grants exactly what Terraform called, on the resources the stacks created; the read-only policy exactly what a plan called',
  );
}

/** Calls AWS authorizes without a policy: the caller's own identity. */
const NO_PERMISSION_NEEDED = new Set(['sts:GetCallerIdentity']);

/** Whether a statement's resources name a resource of its service (`arn:<partition>:<service>:`). */
function covers(statement: Statement, arn: string): boolean {
  const service = arn.split(':')[2];
  return (
    statement.resources !== '*' &&
    statement.actions.some((a) => a.startsWith(`${service}:`)) &&
    statement.resources.some((pattern) => resourceMatches(pattern, arn))
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
