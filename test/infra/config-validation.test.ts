import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AmiBakeConfig, RecipeConfig } from '../../deployment/config';
import { resolveDeployment } from '../../deployment/model';
import { SHELLCHECK_MISSING, scriptProblems, shellcheckErrors } from '../../deployment/script-checks';
import { InvalidInputError } from '../../functions/shared/errors';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { stackConfig, synthStack } from '../support/stack';

const recipe = (fields: Record<string, unknown> = {}): RecipeConfig => ({
  name: 'ecs-node',
  base: { describe: { name: 'al2023-ami-ecs-hvm-*-x86_64' } },
  script: 'user_data/ecs-node.sh',
  ...fields,
});

/** Each kind of bad input and the message synth gives for it: the recipe, field, value and fix. */
const CASES: { what: string; config: AmiBakeConfig; message: string }[] = [
  {
    what: 'an empty name glob',
    config: stackConfig({}, [recipe({ base: { describe: { name: '' } } })]),
    message:
      'recipe "ecs-node": base.describe.name must be a non-empty glob such as "al2023-ami-ecs-hvm-*-x86_64", got ""',
  },
  {
    what: 'an unknown recipe key',
    config: stackConfig({}, [recipe({ colour: 'blue' })]),
    message:
      'recipe "ecs-node": colour is not a known field, got "blue": remove it or use one of name, base,',
  },
  {
    what: 'an AMI name template with an unknown placeholder',
    config: stackConfig({}, [recipe({ amiName: '{recipe}-{buildId}-{colour}' })]),
    message:
      'recipe "ecs-node": amiName must use only the placeholders {recipe} {buildId} {baseImageId} {yyyyMMdd} {HHmmss} {yyyyMMdd-HHmmss}; unknown: {colour}',
  },
  {
    what: 'an AMI name template that is not unique per build',
    config: stackConfig({}, [recipe({ amiName: 'golden-{recipe}' })]),
    message: 'recipe "ecs-node": amiName must contain {yyyyMMdd-HHmmss}, {HHmmss} or {buildId}',
  },
  {
    what: 'a timeout above the range',
    config: stackConfig({}, [recipe({ timeoutMinutes: 1000 })]),
    message: 'recipe "ecs-node": timeoutMinutes must be a whole number of minutes from 5 to 720, got 1000',
  },
  {
    what: 'a timeout that is not a whole number',
    config: stackConfig({}, [recipe({ timeoutMinutes: 7.5 })]),
    message: 'recipe "ecs-node": timeoutMinutes must be a whole number of minutes from 5 to 720, got 7.5',
  },
  {
    what: 'a missing script file',
    config: stackConfig({}, [recipe({ script: 'user_data/missing.sh' })]),
    message:
      'recipe "ecs-node": script must name an existing file, got "user_data/missing.sh": create it or fix the path',
  },
  {
    what: 'a script outside user_data/',
    config: stackConfig({}, [recipe({ script: '../secrets.sh' })]),
    message: 'recipe "ecs-node": script must be a file under user_data/',
  },
  {
    what: 'a duplicate recipe name',
    config: stackConfig({}, [recipe(), recipe()]),
    message:
      'recipe "ecs-node": name must be unique, got "ecs-node" 2 times: rename or remove the duplicates',
  },
  {
    what: 'a bad instance type',
    config: stackConfig({}, [recipe({ instanceType: 'large' })]),
    message:
      'recipe "ecs-node": instanceType must be an EC2 instance type such as "t3.small" or "m7g.large", got "large"',
  },
  {
    what: 'both base selectors',
    config: stackConfig({}, [
      recipe({
        base: { describe: { name: 'al2023-*' }, ssmParameter: '/aws/service/ami-amazon-linux-latest/x' },
      }),
    ]),
    message:
      'recipe "ecs-node": base must set exactly one of describe or ssmParameter, got describe and ssmParameter',
  },
  {
    what: 'neither base selector',
    config: stackConfig({}, [recipe({ base: {} })]),
    message: 'recipe "ecs-node": base must set exactly one of describe or ssmParameter, got neither',
  },
  {
    what: 'an SSM parameter without its leading slash',
    config: stackConfig({}, [recipe({ base: { ssmParameter: 'aws/service/x' } })]),
    message: 'recipe "ecs-node": base.ssmParameter must be a parameter name starting with "/"',
  },
  {
    what: 'an unknown image owner',
    config: stackConfig({}, [recipe({ base: { describe: { name: 'x-*', owners: ['canonical'] } } })]),
    message: 'recipe "ecs-node": base.describe.owners must be a non-empty list of "amazon", "self"',
  },
  {
    what: 'a bad subnet id',
    config: stackConfig({}, [recipe({ subnetId: 'subnet-xyz' })]),
    message:
      'recipe "ecs-node": subnetId must be a subnet id such as "subnet-0123456789abcdef0", got "subnet-xyz"',
  },
  {
    what: 'a root volume type EBS does not have',
    config: stackConfig({}, [recipe({ rootVolume: { type: 'ssd' } })]),
    message:
      'recipe "ecs-node": rootVolume.type must be one of "gp3", "gp2", "io1", "io2", "standard", got "ssd"',
  },
  {
    what: 'a KMS alias, which cannot scope key permissions',
    config: stackConfig({}, [recipe({ rootVolume: { kmsKeyId: 'alias/ebs' } })]),
    message:
      'recipe "ecs-node": rootVolume.kmsKeyId must be a key id or key ARN, got "alias/ebs": aliases cannot scope',
  },
  {
    what: 'a recipe instance profile, which the functions may not pass',
    config: stackConfig({}, [recipe({ instanceProfile: 'admin' })]),
    message: 'recipe "ecs-node": instanceProfile is not allowed in a deployment, got "admin"',
  },
  {
    what: 'a tag value that is not a string',
    config: stackConfig({}, [recipe({ tags: { team: 7 } })]),
    message: 'recipe "ecs-node": tags',
  },
  {
    what: 'a bad recipe name',
    config: stackConfig({}, [recipe({ name: 'ECS Node' })]),
    message: 'name must be 1-24 characters of a-z 0-9 and "-", such as "ecs-base", got "ECS Node"',
  },
  {
    what: 'a copy to the home region',
    config: stackConfig({}, [recipe({ distribution: { copies: [{ region: 'us-east-1' }] } })]),
    message:
      'recipe "ecs-node": distribution.copies must name other regions than the home region, got "us-east-1"',
  },
  {
    what: 'a copy region twice',
    config: stackConfig({}, [
      recipe({ distribution: { copies: [{ region: 'eu-west-1' }, { region: 'eu-west-1' }] } }),
    ]),
    message: 'recipe "ecs-node": distribution.copies [1].region must appear once, got "eu-west-1" again',
  },
  {
    what: 'a retention of zero images',
    config: stackConfig({}, [recipe({ lifecycle: { keep: 0 } })]),
    message:
      'recipe "ecs-node": lifecycle.keep must be a whole number of images to keep, from 1 to 100, got 0',
  },
  {
    what: 'an unknown setting',
    config: { ...stackConfig(), colour: 'blue' } as AmiBakeConfig,
    message: 'configuration: colour is not a known field, got "blue": remove it or use one of namePrefix,',
  },
  {
    what: 'a schedule EventBridge cannot read',
    config: stackConfig({ schedule: 'daily' }),
    message:
      'configuration: schedule must be an EventBridge schedule such as "rate(1 day)", "rate(12 hours)" or "cron(0 6 * * ? *)", got "daily"',
  },
  {
    what: 'a rate whose unit does not agree with its value',
    config: stackConfig({ schedule: 'rate(1 days)' }),
    message: 'configuration: schedule must say "rate(1 day)", got "rate(1 days)"',
  },
  {
    what: 'a cron expression with five fields',
    config: stackConfig({ schedule: 'cron(0 6 * * ?)' }),
    message:
      'configuration: schedule must have six cron fields (minutes hours day-of-month month day-of-week year), got "cron(0 6 * * ?)"',
  },
  {
    what: 'a region name AWS does not have',
    config: stackConfig({ region: 'us-east-9' }),
    message:
      'configuration: region must be an AWS region name such as "us-east-1" or "eu-west-1", got "us-east-9"',
  },
  {
    what: 'a copy to a region AWS does not have',
    config: stackConfig({}, [recipe({ distribution: { copies: [{ region: 'eu-west-9' }] } })]),
    message: 'recipe "ecs-node": distribution.copies [0].region must be an AWS region name',
  },
  {
    what: 'an Arm instance type for an x86_64 base',
    config: stackConfig({}, [recipe({ instanceType: 't4g.small' })]),
    message:
      'recipe "ecs-node": instanceType "t4g.small" runs arm64 but the base is x86_64: choose an x86_64 type such as t3.small, m7i.large, or a base of the other architecture',
  },
  {
    what: 'a Name tag',
    config: stackConfig({}, [recipe({ tags: { Name: 'golden' } })]),
    message:
      'recipe "ecs-node": tags must not set "Name": amibake names the build instance and the image itself (set the image name with amiName)',
  },
  {
    what: 'a tag value with an escape sequence',
    config: stackConfig({}, [recipe({ tags: { team: 'platform\u001b[31m' } })]),
    message: 'recipe "ecs-node": tags must not hold control characters',
  },
  {
    what: 'a description on two lines',
    config: stackConfig({}, [recipe({ description: 'golden\nimage' })]),
    message:
      'recipe "ecs-node": description must be at most 255 characters without control characters (line breaks, tabs, escapes)',
  },
  {
    what: 'a field named like a property every object has',
    config: stackConfig({}, [recipe({ constructor: 'x' })]),
    message: 'recipe "ecs-node": constructor is not a known field, got "x"',
  },
  {
    what: 'a name prefix with capitals',
    config: stackConfig({ namePrefix: 'AmiBake' }),
    message: 'configuration: namePrefix must be 2-16 characters of a-z 0-9 "-", starting with a letter',
  },
  {
    what: 'a region that does not exist in that shape',
    config: stackConfig({ region: 'europe' }),
    message:
      'configuration: region must be an AWS region name such as "us-east-1" or "eu-west-1", got "europe"',
  },
  {
    what: 'an unknown recipe store',
    config: stackConfig({ recipeStore: 'redis' as 's3' }),
    message: 'configuration: recipeStore must be one of "s3", "dynamodb", got "redis"',
  },
  {
    what: 'no builds allowed in flight',
    config: stackConfig({ maxInFlight: 0 }),
    message: 'configuration: maxInFlight must be a whole number from 1 to 100',
  },
  {
    what: 'a log retention of zero days',
    config: stackConfig({ logRetentionDays: 0 }),
    message: 'configuration: logRetentionDays must be a whole number of days from 1 to 3653, got 0',
  },
  {
    what: 'an architecture Lambda does not offer',
    config: stackConfig({ architecture: 'i386' as 'arm64' }),
    message: 'configuration: architecture must be one of "arm64", "x86_64", got "i386"',
  },
  {
    what: 'a log level Lambda does not have',
    config: stackConfig({ logLevel: 'verbose' as 'info' }),
    message: 'configuration: logLevel must be one of "debug", "info", "warn", "error", got "verbose"',
  },
  {
    what: 'an S3 backend without its bucket',
    config: stackConfig({
      backend: { kind: 's3', key: 'k', region: 'us-east-1' } as AmiBakeConfig['backend'],
    }),
    message:
      'configuration: backend.bucket is required: set it to the name of the S3 bucket that holds the state',
  },
  {
    what: 'no recipes',
    config: stackConfig({}, []),
    message: 'configuration: recipes must be a non-empty list of recipes',
  },
  {
    what: 'a build instance policy that is not a policy ARN',
    config: stackConfig({ buildInstance: { managedPolicyArns: ['AdministratorAccess'] } }),
    message:
      'configuration: buildInstance.managedPolicyArns must be a list of at most 10 managed policy ARNs',
  },
  {
    what: 'an author named by its session instead of its role',
    config: stackConfig({ authors: ['arn:aws:sts::123456789012:assumed-role/platform-ci/run-42'] }),
    message:
      'configuration: authors must be a list of 1 to 20 IAM principal ARNs such as "arn:aws:iam::123456789012:role/platform-ci" (roles, not their sessions), got ["arn:aws:sts::123456789012:assumed-role/platform-ci/run-42"]',
  },
  {
    what: 'an empty list of authors, which would lock everyone but the deployer out',
    config: stackConfig({ authors: [] }),
    message: 'configuration: authors must be a list of 1 to 20 IAM principal ARNs',
  },
];

function synthError(config: AmiBakeConfig): InvalidInputError {
  try {
    synthStack(config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('synth accepted the configuration');
}

describe('configuration checked by the compiler', () => {
  it('refuses a misspelt recipe field in a typed configuration (npm run typecheck fails otherwise)', () => {
    const typo: RecipeConfig = {
      name: 'ecs-node',
      base: { describe: { name: 'al2023-ami-ecs-hvm-*-x86_64', architecture: 'arm64' } },
      script: 'user_data/ecs-node.sh',
      // @ts-expect-error: "instanceTyp" is not a recipe field; the compiler names it.
      instanceTyp: 't4g.small',
    };
    // The check the compiler could not make is made at synth, with the same field named.
    expect(synthError(stackConfig({}, [typo])).problems.join('\n')).to.include('instanceTyp');
  });
});

describe('configuration validated at synth', () => {
  for (const c of CASES) {
    it(`rejects ${c.what}`, () => {
      const error = synthError(c.config);
      expect(error.problems.some((p) => p.startsWith(c.message) || p.includes(c.message))).to.equal(
        true,
        `no problem contains:\n  ${c.message}\ngot:\n  ${error.problems.join('\n  ')}`,
      );
    });
  }

  it('rejects a shell script with a syntax error, naming its line; other interpreters are not checked', () => {
    const root = mkdtempSync(join(tmpdir(), 'amibake-scripts-'));
    try {
      mkdirSync(join(root, 'user_data'));
      writeFileSync(
        join(root, 'user_data/broken.sh'),
        '#!/bin/bash\nif [ -f /etc/os-release ]; then\n  echo ok\n',
      );
      writeFileSync(join(root, 'user_data/tool.py'), '#!/usr/bin/env python3\nif True:\n');
      const config = stackConfig({}, [
        recipe({ name: 'broken', script: 'user_data/broken.sh' }),
        recipe({ name: 'python', script: 'user_data/tool.py' }),
      ]);
      const problems = (() => {
        try {
          resolveDeployment(config, { projectRoot: root, bucket: 'a-bucket' });
          return [];
        } catch (error) {
          if (error instanceof InvalidInputError) return [...error.problems];
          throw error;
        }
      })();
      expect(problems).to.deep.equal([
        'recipe "broken": script "user_data/broken.sh" is not valid shell: line 4: syntax error: unexpected end of file: fix it before deploying (bash -n user_data/broken.sh shows the same)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  describe('ShellCheck, when it is installed', () => {
    const installed = spawnSync('shellcheck', ['--version']).status === 0;
    const UNQUOTED = '#!/bin/bash\nx=1\nif [ -n $x ]; then echo yes; fi\n';

    it('reports every error with its line, and says when there is no shellcheck to run', () => {
      // A stand-in shellcheck (committed, not written here: a file just written may not be executable yet).
      const fake = join(PROJECT_ROOT, 'test/fixtures/fake-shellcheck/shellcheck');
      expect(shellcheckErrors('#!/bin/bash\necho\n', fake)).to.deep.equal({
        installed: true,
        errors: ['line 9: the error [SC1000]', 'line 12: another error [SC1001]'],
      });
      expect(scriptProblems('#!/bin/bash\necho\n', 'user_data/x.sh', fake).problems).to.deep.equal([
        'fails shellcheck: line 9: the error [SC1000]: fix it before deploying (shellcheck -S error user_data/x.sh shows the same)',
        'fails shellcheck: line 12: another error [SC1001]: fix it before deploying (shellcheck -S error user_data/x.sh shows the same)',
      ]);
      expect(shellcheckErrors('#!/usr/bin/env python3\n', fake)).to.deep.equal({
        installed: true,
        errors: [],
      });
      const absent = join(PROJECT_ROOT, 'test/fixtures/fake-shellcheck/absent');
      expect(shellcheckErrors(UNQUOTED, absent)).to.deep.equal({ installed: false, errors: [] });
      expect(scriptProblems(UNQUOTED, 'user_data/x.sh', absent)).to.deep.equal({
        problems: [],
        linted: false,
      });
    });

    it('says once per synth that scripts were not linted when shellcheck is missing', () => {
      const root = mkdtempSync(join(tmpdir(), 'amibake-scripts-'));
      try {
        mkdirSync(join(root, 'user_data'));
        for (const name of ['a', 'b'])
          writeFileSync(join(root, `user_data/${name}.sh`), '#!/bin/bash\necho ok\n');
        const config = stackConfig({}, [
          recipe({ name: 'a', script: 'user_data/a.sh' }),
          recipe({ name: 'b', script: 'user_data/b.sh' }),
        ]);
        const absent = join(PROJECT_ROOT, 'test/fixtures/fake-shellcheck/absent');
        const without = resolveDeployment(config, {
          projectRoot: root,
          bucket: 'a-bucket',
          shellcheck: absent,
        });
        expect(without.notices).to.deep.equal([SHELLCHECK_MISSING]);
        expect(SHELLCHECK_MISSING).to.match(
          /^shellcheck not found: .*install it \(apt-get install shellcheck/,
        );
        const fake = join(PROJECT_ROOT, 'test/fixtures/fake-shellcheck/shellcheck');
        expect(() => resolveDeployment(config, { projectRoot: root, bucket: 'a-bucket', shellcheck: fake }))
          .to.throw(InvalidInputError)
          .with.property('problems')
          .that.has.length(4);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it('refuses a shell script with Windows line endings, with the fix', () => {
      const root = mkdtempSync(join(tmpdir(), 'amibake-scripts-'));
      try {
        mkdirSync(join(root, 'user_data'));
        writeFileSync(join(root, 'user_data/crlf.sh'), '#!/bin/bash\nset -e\r\necho ok\r\n');
        writeFileSync(join(root, 'user_data/crlf.py'), '#!/usr/bin/env python3\r\nprint(1)\r\n');
        const config = stackConfig({}, [
          recipe({ name: 'crlf', script: 'user_data/crlf.sh' }),
          recipe({ name: 'python', script: 'user_data/crlf.py' }),
        ]);
        expect(() => resolveDeployment(config, { projectRoot: root, bucket: 'a-bucket' }))
          .to.throw(InvalidInputError)
          .with.property('problems')
          .that.deep.equals([
            `recipe "crlf": script "user_data/crlf.sh" has Windows (CRLF) line endings from line 2 on, which bash reads as part of each command: convert it to LF (sed -i 's/\\r$//' user_data/crlf.sh, or your editor's line-ending setting)`,
          ]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it('fails a script bash -n accepts but ShellCheck finds an error in, naming the line', function () {
      // .ci/run installs shellcheck; elsewhere synth runs without it and so does this check.
      if (!installed) this.skip();
      expect(shellcheckErrors(UNQUOTED).errors).to.deep.equal([
        "line 3: -n doesn't work with unquoted arguments. Quote or use [[ ]]. [SC2070]",
      ]);
      expect(
        shellcheckErrors(readFileSync(join(PROJECT_ROOT, 'user_data/ecs-node.sh'), 'utf-8')),
      ).to.deep.equal({
        installed: true,
        errors: [],
      });
      const root = mkdtempSync(join(tmpdir(), 'amibake-scripts-'));
      try {
        mkdirSync(join(root, 'user_data'));
        writeFileSync(join(root, 'user_data/unquoted.sh'), UNQUOTED);
        const config = stackConfig({}, [recipe({ name: 'unquoted', script: 'user_data/unquoted.sh' })]);
        expect(() => resolveDeployment(config, { projectRoot: root, bucket: 'a-bucket' }))
          .to.throw(InvalidInputError)
          .with.property('problems')
          .that.deep.equals([
            'recipe "unquoted": script "user_data/unquoted.sh" fails shellcheck: line 3: -n doesn\'t work with unquoted arguments. Quote or use [[ ]]. [SC2070]: fix it before deploying (shellcheck -S error user_data/unquoted.sh shows the same)',
          ]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  });

  it('reports every problem of every recipe at once', () => {
    const error = synthError(
      stackConfig({ maxInFlight: 0 }, [
        recipe({ name: 'one', instanceType: 'big' }),
        recipe({ name: 'two', timeoutMinutes: 1 }),
      ]),
    );
    expect(error.problems, error.problems.join('\n')).to.have.length(3);
  });
});
