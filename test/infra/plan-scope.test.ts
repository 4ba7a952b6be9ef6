import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { scratchDir } from '../support/local-aws';
import { changedResources, stackConfig, synthStack } from '../support/stack';

const recipes = (timeoutMinutes: number) => [
  { name: 'one', base: { describe: { name: 'al2023-ami-2023.*-x86_64' } }, script: 'user_data/one.sh' },
  {
    name: 'two',
    base: { describe: { name: 'al2023-ami-2023.*-x86_64' } },
    script: 'user_data/two.sh',
    timeoutMinutes,
  },
];

describe('what a change plans', () => {
  const project = scratchDir();
  before(() => {
    mkdirSync(join(project.path, 'user_data'));
    cpSync(join(PROJECT_ROOT, 'user_data', 'ecs-node.sh'), join(project.path, 'user_data', 'one.sh'));
    writeFileSync(join(project.path, 'user_data', 'two.sh'), '#!/bin/bash\necho two\n');
  });
  after(() => project.remove());

  it('plans nothing when nothing changed', () => {
    const before = synthStack(stackConfig({}, recipes(60)), project.path);
    const after = synthStack(stackConfig({}, recipes(60)), project.path);
    expect(changedResources(before.tf, after.tf)).to.deep.equal([]);
  });

  it('changes only that script object when a script changes', () => {
    const before = synthStack(stackConfig({}, recipes(60)), project.path);
    writeFileSync(join(project.path, 'user_data', 'two.sh'), '#!/bin/bash\necho two, edited\n');
    const after = synthStack(stackConfig({}, recipes(60)), project.path);
    const changed = changedResources(before.tf, after.tf);
    expect(changed).to.have.length(1);
    expect(changed[0]).to.match(/^aws_s3_object\.recipes_script-user_data--twosh_/);
  });

  it('changes only the recipes document when a recipe changes (s3 store)', () => {
    const before = synthStack(stackConfig({}, recipes(60)), project.path);
    const after = synthStack(stackConfig({}, recipes(90)), project.path);
    const changed = changedResources(before.tf, after.tf);
    expect(changed).to.have.length(1);
    expect(changed[0]).to.match(/^aws_s3_object\.recipes_document_/);
  });

  it("changes only that recipe's item when a recipe changes (dynamodb store)", () => {
    const before = synthStack(stackConfig({ recipeStore: 'dynamodb' }, recipes(60)), project.path);
    const after = synthStack(stackConfig({ recipeStore: 'dynamodb' }, recipes(90)), project.path);
    const changed = changedResources(before.tf, after.tf);
    expect(changed).to.have.length(1);
    expect(changed[0]).to.match(/^aws_dynamodb_table_item\.recipes_recipe-two_/);
  });
});
