import { expect } from 'chai';
import { InvalidInputError } from '../../../functions/shared/errors';
import {
  parseRecipe,
  parseRecipes,
  RECIPE_DEFAULTS,
  recipeToDocument,
} from '../../../functions/shared/recipe';
import { recipeHash } from '../../../functions/shared/recipe-hash';

const valid = {
  name: 'ecs-base',
  base: { describe: { name: 'al2023-ami-ecs-hvm-*-kernel-6.1-x86_64' } },
  script: 'user_data/ecs-node.sh',
};
const problemsOf = (input: unknown): string[] => {
  try {
    parseRecipe(input, { scripts: 'file-or-s3', deployment: 'amibake' });
    return [];
  } catch (error) {
    if (error instanceof InvalidInputError) return [...error.problems];
    throw error;
  }
};

describe('parseRecipe', () => {
  it('applies the defaults', () => {
    const recipe = parseRecipe(valid, { scripts: 'file-or-s3', deployment: 'amibake' });
    expect(recipe.base).to.deep.equal({
      kind: 'describe',
      owners: ['amazon'],
      name: valid.base.describe.name,
      architecture: 'x86_64',
      filters: [],
      includeDeprecated: false,
    });
    expect(recipe.instanceType).to.equal(RECIPE_DEFAULTS.instanceType);
    expect(recipe.timeoutMinutes).to.equal(60);
    expect(recipe.amiName).to.equal('{buildId}');
    expect(recipe.script).to.deep.equal({ kind: 'file', path: 'user_data/ecs-node.sh' });
  });

  it('keeps the hygiene steps a recipe names, in the wrapper order, and leaves the field out otherwise', () => {
    const options = { scripts: 'file-or-s3', deployment: 'amibake' } as const;
    expect(
      parseRecipe({ ...valid, hygiene: { keep: ['journal', 'ssh-host-keys'] } }, options).hygiene,
    ).to.deep.equal({ keep: ['ssh-host-keys', 'journal'] });
    expect(parseRecipe({ ...valid, hygiene: { keep: [] } }, options)).to.not.have.property('hygiene');
    expect(problemsOf({ ...valid, hygiene: { keep: ['ssh-keys'] } })).to.deep.equal([
      'recipe "ecs-base": hygiene.keep must be a list of hygiene steps to skip, from "cloud-init", "machine-id", "ssh-host-keys", "dhcp-leases", "shell-history", "tmp", "login-records", "journal", "random-seed", got ["ssh-keys"]',
    ]);
  });

  it('tests every image: the boot check by default, the test script and its settings when named', () => {
    const options = { scripts: 'file-or-s3' as const, deployment: 'amibake' };
    expect(parseRecipe(valid, options).test).to.deep.equal({ timeoutMinutes: 20, keepFailedDays: 7 });
    const tested = parseRecipe(
      {
        ...valid,
        test: {
          script: 's3://tests/ecs.sh',
          timeoutMinutes: 30,
          instanceType: 't3.large',
          keepFailedDays: 14,
        },
      },
      options,
    );
    expect(tested.test).to.deep.equal({
      script: { kind: 's3', bucket: 'tests', key: 'ecs.sh' },
      timeoutMinutes: 30,
      instanceType: 't3.large',
      keepFailedDays: 14,
    });
    // Tests judge the image without changing it: they are not part of the content hash.
    expect(recipeHash(tested, 'sha256:x')).to.equal(recipeHash(parseRecipe(valid, options), 'sha256:x'));
    expect(recipeToDocument(tested).test).to.deep.equal({ ...tested.test, script: 's3://tests/ecs.sh' });
  });

  it('names what is wrong with a test setting, with the value received', () => {
    expect(
      problemsOf({ ...valid, test: { script: '/tmp/t.sh', timeoutMinutes: 1, keepFailedDays: 0, extra: 1 } }),
    ).to.have.members([
      'recipe "ecs-base": test.script must be a file under user_data/ such as "user_data/hardening.sh", or an s3://bucket/key URL, the script that tests the new image, got "/tmp/t.sh"',
      'recipe "ecs-base": test.timeoutMinutes must be a whole number of minutes from 5 to 720, got 1',
      'recipe "ecs-base": test.keepFailedDays must be a whole number of days from 1 to 90 to keep an image whose tests failed, got 0',
      'recipe "ecs-base": test.extra is not a known field, got 1: remove it or use one of script, scriptSha256, timeoutMinutes, instanceType, keepFailedDays',
    ]);
  });

  it('names the consumers to roll, checked, and rolls none by default', () => {
    const options = { scripts: 'file-or-s3' as const, deployment: 'amibake' };
    expect(parseRecipe(valid, options).consumers).to.deep.equal({
      launchTemplates: [],
      autoScalingGroups: [],
      minHealthyPercentage: 90,
    });
    expect(
      problemsOf({
        ...valid,
        consumers: {
          launchTemplates: ['lt-123', 'x'],
          autoScalingGroups: ['web'],
          minHealthyPercentage: 101,
        },
      }),
    ).to.deep.equal([
      'recipe "ecs-base": consumers.launchTemplates must be a list of at most 10 launch template ids ("lt-0123456789abcdef0") or names (3-128 of A-Z a-z 0-9 ( ) . - / _) in the home region, got ["lt-123","x"]',
      'recipe "ecs-base": consumers.minHealthyPercentage must be a whole percentage from 0 to 100 of the group kept in service during the refresh, got 101',
    ]);
  });

  it('defaults to a Graviton instance type for a parameter whose path names arm64', () => {
    const options = { scripts: 'file-or-s3', deployment: 'amibake' } as const;
    const recipe = (parameter: string) =>
      parseRecipe({ ...valid, base: { ssmParameter: parameter } }, options).instanceType;
    expect(recipe('/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id')).to.equal(
      't4g.small',
    );
    expect(recipe('/team/base-arm64')).to.equal('t4g.small');
    expect(recipe('/team/farm64/base')).to.equal('t3.small');
  });

  it('defaults to a Graviton instance type for a described arm64 base', () => {
    const arm = parseRecipe(
      { ...valid, base: { describe: { name: 'al2023-ami-2023.*-arm64', architecture: 'arm64' } } },
      { scripts: 'file-or-s3', deployment: 'amibake' },
    );
    expect(arm.instanceType).to.equal('t4g.small');
  });

  it('reads an SSM selector and an s3:// script', () => {
    const recipe = parseRecipe(
      { name: 'al2023', base: { ssmParameter: '/aws/service/x' }, script: 's3://my-bucket/scripts/a.sh' },
      { scripts: 's3', deployment: 'amibake' },
    );
    expect(recipe.base).to.deep.equal({ kind: 'ssm', parameter: '/aws/service/x' });
    expect(recipe.script).to.deep.equal({ kind: 's3', bucket: 'my-bucket', key: 'scripts/a.sh' });
  });

  const cases: [string, object, string][] = [
    [
      'empty glob',
      { base: { describe: { name: '' } } },
      'recipe "ecs-base": base.describe.name must be a non-empty glob such as "al2023-ami-ecs-hvm-*-x86_64", got ""',
    ],
    [
      'unknown key',
      { colour: 'blue' },
      'recipe "ecs-base": colour is not a known field, got "blue": remove it or use one of name, base,',
    ],
    [
      'both selectors',
      { base: { describe: { name: 'a*' }, ssmParameter: '/a' } },
      'recipe "ecs-base": base must set exactly one of describe or ssmParameter, got describe and ssmParameter',
    ],
    [
      'neither selector',
      { base: {} },
      'recipe "ecs-base": base must set exactly one of describe or ssmParameter, got neither',
    ],
    ['bad name', { name: 'Ecs_Base' }, 'recipe "Ecs_Base": name must be 1-24 characters of a-z 0-9 and "-"'],
    [
      'bad architecture',
      { base: { describe: { name: 'a*', architecture: 'amd64' } } },
      'base.describe.architecture must be one of "x86_64", "arm64"',
    ],
    [
      'empty owners',
      { base: { describe: { name: 'a*', owners: [] } } },
      'base.describe.owners must be a non-empty list',
    ],
    [
      'bad filter',
      { base: { describe: { name: 'a*', filters: { 'root-device-type': [] } } } },
      'base.describe.filters must be a map of EC2 filter names',
    ],
    [
      'bad parameter',
      { base: { ssmParameter: 'aws/service' } },
      'base.ssmParameter must be a parameter name starting with "/"',
    ],
    ['bad script', { script: 'scripts/a.sh' }, 'script must be a file under user_data/'],
    [
      'bad instance type',
      { instanceType: 'large' },
      'instanceType must be an EC2 instance type such as "t3.small"',
    ],
    ['bad subnet', { subnetId: 'subnet-xyz' }, 'subnetId must be a subnet id'],
    [
      'bad security group',
      { securityGroupIds: ['default'] },
      'securityGroupIds must be a list of at most 5 security group ids',
    ],
    [
      'bad volume size',
      { rootVolume: { sizeGiB: 0 } },
      'rootVolume.sizeGiB must be a whole number of GiB from 1 to 16384',
    ],
    ['bad volume type', { rootVolume: { type: 'st1' } }, 'rootVolume.type must be one of "gp3"'],
    ['bad kms key', { rootVolume: { kmsKeyId: 'my-key' } }, 'rootVolume.kmsKeyId must be a KMS key id'],
    ['bad AMI name template', { amiName: '{recipe}-{date}' }, 'amiName must use only the placeholders'],
    [
      'timeout too short',
      { timeoutMinutes: 1 },
      'timeoutMinutes must be a whole number of minutes from 5 to 720, got 1',
    ],
    [
      'timeout too long',
      { timeoutMinutes: 1000 },
      'timeoutMinutes must be a whole number of minutes from 5 to 720, got 1000',
    ],
    ['reserved tag', { tags: { 'amibake:recipe': 'x' } }, 'tags must not use the reserved key prefixes'],
    ['missing script', { script: undefined }, 'recipe "ecs-base": script is required'],
    [
      'a Bottlerocket base',
      { base: { describe: { name: 'bottlerocket-aws-ecs-2-x86_64-*' } } },
      'base.describe.name must select a base that runs user data as a shell script (Bottlerocket cannot be baked through user data: it reads user data as TOML settings and runs no script, so the customisation would never run; build a Bottlerocket variant with its SDK instead), got "bottlerocket-aws-ecs-2-x86_64-*"',
    ],
    [
      'a Bottlerocket parameter',
      { base: { ssmParameter: '/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id' } },
      'base.ssmParameter must select a base that runs user data as a shell script (Bottlerocket',
    ],
    [
      'a Windows base',
      { base: { describe: { name: 'Windows_Server-2022-English-Full-ECS_Optimized-*' } } },
      'base.describe.name must select a base that runs user data as a shell script (Windows bases are not supported',
    ],
  ];
  for (const [label, change, message] of cases) {
    it(`rejects ${label} naming the recipe, the field and the value`, () => {
      const problems = problemsOf({ ...valid, ...change });
      expect(problems.join('\n')).to.include(message);
    });
  }

  it('names every unknown field of an object, and a field set to undefined as missing', () => {
    expect(problemsOf({ ...valid, colour: 'blue', flavour: 'mint' })).to.deep.equal([
      'recipe "ecs-base": colour is not a known field, got "blue" (nor are flavour): remove it or use one of name, base, script, scriptSha256, instanceType, subnetId, securityGroupIds, instanceProfile, rootVolume, amiName, description, tags, timeoutMinutes, distribution, test, consumers, hygiene, lifecycle',
    ]);
    expect(problemsOf({ ...valid, name: undefined })).to.deep.equal([
      'recipe #1: name is required: set it to 1-24 characters of a-z 0-9 and "-", such as "ecs-base"',
    ]);
  });

  it('rejects a project file when scripts must already be in S3', () => {
    expect(() => parseRecipe(valid, { scripts: 's3', deployment: 'amibake' })).to.throw(
      InvalidInputError,
      /script must be an s3:\/\/bucket\/key URL/,
    );
  });

  it("refuses a glob written as a regular expression, with the glob fixed in EC2's wildcards", () => {
    const globs = [
      ['al2023-ami-ecs-hvm-.*-kernel-6.1-x86_64', 'al2023-ami-ecs-hvm-*-kernel-6.1-x86_64'],
      ['al2023-ami-[0-9*', 'al2023-ami-*'],
      ['^al2023-ami-ecs-hvm-.*$', 'al2023-ami-ecs-hvm-*'],
      ['al2023-ami-[0-9]+\\.[0-9]+-x86_64', 'al2023-ami-*-x86_64'],
      ['debian-12-(amd64|arm64)-*', 'debian-12-*-*'],
      ['al2023-ami-ecs-hvm-20??.?-kernel-[56].1-x86_64', 'al2023-ami-ecs-hvm-20??.?-kernel-?.1-x86_64'],
    ];
    for (const [glob, fixed] of globs) {
      expect(problemsOf({ ...valid, base: { describe: { name: glob } } }), glob).to.deep.equal([
        `recipe "ecs-base": base.describe.name must use EC2's wildcards only (* for any run of characters, ? for one; . [ ] ^ $ + | are not wildcards), such as "${fixed}", got ${JSON.stringify(glob)}`,
      ]);
    }
    // A dot that belongs to the name stays a dot.
    for (const glob of [
      'amzn2-ami-hvm-2.0.*-x86_64-gp2',
      'al2023-ami-2023.*-kernel-6.1-x86_64',
      'ubuntu/images/*',
    ]) {
      expect(problemsOf({ ...valid, base: { describe: { name: glob } } }), glob).to.deep.equal([]);
    }
  });

  it("refuses build and test instance types of the other architecture than an SSM base's path names", () => {
    const arm = '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id';
    const x86 = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64';
    expect(problemsOf({ ...valid, base: { ssmParameter: x86 }, instanceType: 'm7g.large' })).to.deep.equal([
      `recipe "ecs-base": instanceType "m7g.large" runs arm64 but the base is x86_64: choose an x86_64 type such as t3.small, m7i.large, or a base of the other architecture (its parameter ${x86} names x86_64)`,
    ]);
    expect(
      problemsOf({ ...valid, base: { ssmParameter: arm }, test: { instanceType: 't3.small' } }).join('\n'),
    ).to.include('recipe "ecs-base": test.instanceType "t3.small" runs x86_64 but the base is arm64');
    expect(problemsOf({ ...valid, base: { ssmParameter: arm }, instanceType: 'c7g.large' })).to.deep.equal(
      [],
    );
    // A path that names no architecture is checked by the trigger, against the image it names.
    const unnamed = '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';
    expect(
      problemsOf({ ...valid, base: { ssmParameter: unnamed }, instanceType: 'm7g.large' }),
    ).to.deep.equal([]);
  });

  it('reports every problem of a recipe at once', () => {
    expect(problemsOf({ ...valid, instanceType: 'x', timeoutMinutes: 0 })).to.have.length(2);
  });
});

describe('parseRecipes', () => {
  it('keeps the valid recipes when others are invalid', () => {
    const { recipes, rejected } = parseRecipes(
      [valid, { ...valid, name: 'broken', instanceType: '' }, { ...valid, name: 'other' }],
      { scripts: 'file-or-s3', deployment: 'amibake' },
    );
    expect(recipes.map((r) => r.name)).to.deep.equal(['ecs-base', 'other']);
    expect(rejected.map((r) => r.name)).to.deep.equal(['broken']);
  });

  it('rejects every recipe sharing a duplicate name', () => {
    const { recipes, rejected } = parseRecipes([valid, valid], {
      scripts: 'file-or-s3',
      deployment: 'amibake',
    });
    expect(recipes).to.deep.equal([]);
    expect(rejected[0]?.problems[0]).to.equal(
      'recipe "ecs-base": name must be unique, got "ecs-base" 2 times: rename or remove the duplicates',
    );
  });

  it("publishes under the deployment's own path by default", () => {
    for (const deployment of ['amibake', 'amibake-dev']) {
      const [recipe] = parseRecipes([valid], { scripts: 'file-or-s3', deployment }).recipes;
      expect(recipe?.lifecycle.parameter).to.equal(`/${deployment}/ecs-base/latest`);
      expect(recipe?.lifecycle.candidateParameter).to.equal(`/${deployment}/ecs-base/candidate`);
    }
  });

  it("refuses a candidate channel that is the published one, or another recipe's parameter", () => {
    const { recipes, rejected } = parseRecipes(
      [
        { ...valid, lifecycle: { parameter: '/golden/ecs', candidateParameter: '/golden/ecs' } },
        { ...valid, name: 'other', lifecycle: { candidateParameter: '/amibake/third/latest' } },
        { ...valid, name: 'third' },
      ],
      { scripts: 'file-or-s3', deployment: 'amibake' },
    );
    expect(recipes).to.deep.equal([]);
    expect(rejected.map((r) => r.problems)).to.deep.equal([
      [
        'recipe "ecs-base": lifecycle.candidateParameter must differ from lifecycle.parameter, got "/golden/ecs" for both: untested images would be published',
      ],
      [
        'recipe "other": lifecycle.candidateParameter must be unique, got "/amibake/third/latest" for recipes "other", "third": give each recipe its own parameters',
      ],
      [
        'recipe "third": lifecycle.parameter must be unique, got "/amibake/third/latest" for recipes "other", "third": give each recipe its own parameters',
      ],
    ]);
  });

  it('rejects every recipe that would publish to the same parameter', () => {
    const { recipes, rejected } = parseRecipes(
      [
        { ...valid, lifecycle: { parameter: '/golden/ecs' } },
        { ...valid, name: 'other', lifecycle: { parameter: '/golden/ecs' } },
        { ...valid, name: 'third' },
      ],
      { scripts: 'file-or-s3', deployment: 'amibake' },
    );
    expect(recipes.map((r) => r.name)).to.deep.equal(['third']);
    expect(rejected.map((r) => r.problems[0])).to.deep.equal(
      ['ecs-base', 'other'].map(
        (name) =>
          `recipe "${name}": lifecycle.parameter must be unique, got "/golden/ecs" for recipes "ecs-base", "other": give each recipe its own parameters`,
      ),
    );
  });

  it('refuses parameter names SSM reserves, whatever their case', () => {
    for (const parameter of ['/aws/service/mine', '/AWS/x', '/ssm/x', '/awsome/x']) {
      const { rejected } = parseRecipes([{ ...valid, lifecycle: { parameter } }], {
        scripts: 'file-or-s3',
        deployment: 'amibake',
      });
      expect(rejected[0]?.problems[0], parameter)
        .to.include(`got "${parameter}"`)
        .and.include('reserved by SSM');
    }
  });

  it('rejects a document that is not a list', () => {
    expect(() => parseRecipes({ recipes: 1 }, { scripts: 's3', deployment: 'amibake' })).to.throw(
      InvalidInputError,
      /recipes must be a list/,
    );
  });
});
