import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { PlannedChange } from '../../local/deploy/stack-deployment';
import type { LocalAccount } from '../../local/local-account';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { localAccount, testConfig } from '../support/local-account';
import { scratchDir } from '../support/scratch';

/** What a plan does, resource by resource: type, actions and the object it names (no generated addresses). */
const summary = (changes: PlannedChange[]) =>
  changes.map((c) => ({
    type: c.type,
    actions: c.actions,
    names: String(
      c.after?.key ?? (c.after?.item ? JSON.parse(String(c.after.item)).name?.S : c.after?.function_name),
    ),
  }));

/** The lines of a plan that show the changes: from Terraform's list of actions to its count. */
function changesShown(plan: string): string[] {
  const lines = plan.split('\n');
  const from = lines.findIndex((l) => l.startsWith('Terraform will perform the following actions'));
  const to = lines.findIndex((l) => l.startsWith('Plan: '));
  return lines.slice(from + 1, to).filter((l) => l.trim() !== '');
}

describe('real Terraform plans against the emulated account', function () {
  this.timeout(300_000);
  const project = scratchDir();
  let account: LocalAccount;
  const recipes = (timeoutMinutes: number) => [
    { name: 'one', base: { describe: { name: 'al2023-ami-2023.*-x86_64' } }, script: 'user_data/one.sh' },
    {
      name: 'two',
      base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
      script: 'user_data/two.sh',
      timeoutMinutes,
    },
  ];
  const config = (timeoutMinutes: number, overrides = {}) => testConfig(recipes(timeoutMinutes), overrides);
  const options = { projectRoot: project.path };

  before(async () => {
    mkdirSync(join(project.path, 'user_data'));
    cpSync(join(PROJECT_ROOT, 'user_data', 'ecs-node.sh'), join(project.path, 'user_data', 'one.sh'));
    writeFileSync(join(project.path, 'user_data', 'two.sh'), '#!/bin/bash\necho two\n');
    account = await localAccount();
    await account.deploy(config(60), options);
  });
  after(async () => {
    project.remove();
  });

  it('plans no change when nothing changed since the deploy', async () => {
    expect(await account.plan(config(60), options)).to.deep.equal([]);
  });

  it('plans an update of exactly that script object when a script changes', async () => {
    writeFileSync(join(project.path, 'user_data', 'two.sh'), '#!/bin/bash\necho two, edited\n');
    try {
      expect(summary(await account.plan(config(60), options))).to.deep.equal([
        { type: 'aws_s3_object', actions: ['update'], names: 'scripts/user_data/two.sh' },
      ]);
    } finally {
      writeFileSync(join(project.path, 'user_data', 'two.sh'), '#!/bin/bash\necho two\n');
    }
  });

  it('plans an update of exactly the recipes document when a recipe changes (S3 store)', async () => {
    expect(summary(await account.plan(config(90), options))).to.deep.equal([
      { type: 'aws_s3_object', actions: ['update'], names: 'recipes/recipes.json' },
    ]);
  });

  it("shows a one-field edit as that recipe's field alone, in under 30 lines (S3 store)", async () => {
    const shown = changesShown(await account.planText(config(90), options));
    expect(shown.join('\n')).to.match(/~ timeoutMinutes +?= 60 -> 90/);
    expect(shown.join('\n')).to.include('~ two = {').and.not.include('one = {');
    expect(shown.length, shown.join('\n')).to.be.below(30);
  });

  it("plans an update of exactly that recipe's item when a recipe changes (DynamoDB store)", async () => {
    await account.deploy(config(60, { recipeStore: 'dynamodb' }), options);
    expect(summary(await account.plan(config(90, { recipeStore: 'dynamodb' }), options))).to.deep.equal([
      { type: 'aws_dynamodb_table_item', actions: ['update'], names: 'two' },
    ]);
    const shown = changesShown(await account.planText(config(90, { recipeStore: 'dynamodb' }), options));
    expect(shown.join('\n')).to.match(/~ N += "60" -> "90"/);
    expect(shown.length, shown.join('\n')).to.be.below(30);
  });

  it('validates with the provider the emulator deployment uses (the stack pins a newer one for AWS)', async () => {
    const terraform = account.stackFor('amibake');
    await terraform.validate();
    expect(terraform.provider?.kind).to.be.oneOf(['relaxed', 'pinned', 'default']);
  });
});
