import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { config } from '../amibake.config';
import { resolveDeployment } from '../deployment/model';
import { deployerPolicies, deployerPolicy, deployerReadOnlyPolicy } from '../policies/deployer';
import {
  MANAGED_POLICIES_PER_ROLE,
  MANAGED_POLICIES_PER_ROLE_MAX,
  MANAGED_POLICY_CHARACTERS,
  policyCharacters,
  policyJson,
} from '../policies/statement';
import { PROJECT_ROOT } from './bundle-functions';

const USAGE = `npm run --silent deployer-policy -- <account id> [partition] [--read-only] [--out <dir>]

The IAM policy the principal that deploys amibake.config.ts needs (policies/deployer.ts), as
customer managed policies of at most ${MANAGED_POLICY_CHARACTERS.toLocaleString('en-US')} characters each: attach every one to the
role your CI assumes to run \`cdktf deploy\`.

  --read-only   the policy for a principal that only runs \`cdktf diff\` (terraform plan): reads only
  --out <dir>   write each policy to <dir>/<name>.json (for aws iam create-policy --policy-document
                file://...) instead of printing them
  --help        this text`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'read-only': { type: 'boolean', default: false },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const [account, partition = 'aws'] = positionals;
if (!account || !/^\d{12}$/.test(account)) {
  console.error(
    `the account id must be 12 digits, got ${JSON.stringify(account ?? null)}: npm run --silent deployer-policy -- 123456789012`,
  );
  process.exit(2);
}
const deployment = resolveDeployment(config, { projectRoot: PROJECT_ROOT, bucket: '' });
const readOnly = values['read-only'];
const statements = (readOnly ? deployerReadOnlyPolicy : deployerPolicy)(deployment, { partition, account });
const policies = deployerPolicies(statements, deployment.names.prefix, readOnly ? 'reviewer' : 'deployer');
if (policies.length > MANAGED_POLICIES_PER_ROLE_MAX) {
  console.error(
    `this configuration needs ${policies.length} managed policies, more than the ${MANAGED_POLICIES_PER_ROLE_MAX} IAM lets one role have: ` +
      'deploy its recipes from two stacks (two name prefixes), each with its own deployer',
  );
  process.exit(1);
}
const documents = policies.map((p) => ({
  name: p.name,
  characters: policyCharacters(p.statements),
  document: JSON.parse(policyJson(p.statements)) as unknown,
}));
if (values.out) {
  mkdirSync(values.out, { recursive: true });
  for (const d of documents)
    writeFileSync(join(values.out, `${d.name}.json`), `${JSON.stringify(d.document, null, 2)}\n`);
} else {
  console.log(JSON.stringify(documents, null, 2));
}
const sizes = documents.map((d) => d.characters.toLocaleString('en-US')).join(', ');
console.error(
  `${documents.length} managed ${documents.length === 1 ? 'policy' : 'policies'} (${sizes} of ${MANAGED_POLICY_CHARACTERS.toLocaleString('en-US')} characters)` +
    `${values.out ? ` written to ${values.out}` : ''}: attach ${documents.length === 1 ? 'it' : 'all of them'} to the ${readOnly ? 'reviewing' : 'deploying'} role` +
    (documents.length > MANAGED_POLICIES_PER_ROLE
      ? `; more than the ${MANAGED_POLICIES_PER_ROLE} managed policies a role may have by default: ask for the IAM quota "Managed policies per role" to be raised (at most ${MANAGED_POLICIES_PER_ROLE_MAX})`
      : ''),
);
