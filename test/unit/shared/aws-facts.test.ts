import { expect } from 'chai';
import {
  hasControlCharacter,
  instanceArchitecture,
  instanceTypeProblem,
  instanceTypeProblems,
  regionProblem,
  runsOnNitro,
  scheduleProblems,
  unsupportedBase,
} from '../../../functions/shared/aws-facts';

describe('AWS facts for validation', () => {
  it('tells Graviton instance families from x86 ones', () => {
    const arm = [
      't4g.small',
      'm7g.large',
      'c7gn.xlarge',
      'x2gd.medium',
      'im4gn.large',
      'is4gen.large',
      'a1.large',
      'm8g.large',
      'g5g.xlarge',
    ];
    const x86 = [
      't3.small',
      'm7i.large',
      'c6a.large',
      'g4dn.xlarge',
      'g5.xlarge',
      'p5.48xlarge',
      'm5zn.large',
      'inf2.xlarge',
    ];
    for (const type of arm) expect(instanceArchitecture(type), type).to.equal('arm64');
    for (const type of x86) expect(instanceArchitecture(type), type).to.equal('x86_64');
    expect(instanceArchitecture('mac2.metal')).to.equal('mac');
    expect(instanceArchitecture('large')).to.equal(undefined);
  });

  it('names the mismatch between an instance type and the base architecture, with examples', () => {
    expect(instanceTypeProblems('m7g.large', 'arm64')).to.deep.equal([]);
    expect(instanceTypeProblems('t3.small', 'i386')).to.deep.equal([]);
    expect(instanceTypeProblems('t3.small', 'arm64')[0])
      .to.include('runs x86_64 but the base is arm64')
      .and.include('t4g.small');
  });

  it('knows instance types: a listed family and a real size', () => {
    const known = [
      't3.small',
      'm7i-flex.large',
      'c8gn.48xlarge',
      'u7in-32tb.224xlarge',
      'i3.metal',
      'm7i.metal-24xl',
    ];
    expect(known.filter((t) => instanceTypeProblem(t) !== undefined)).to.deep.equal([]);
    expect(instanceTypeProblem('t5.micro')).to.equal(
      'must be an EC2 instance type such as "t3.small" or "m7g.large", got "t5.micro": "t5" is not an EC2 instance family amibake knows (functions/shared/aws-facts.ts lists them: add one EC2 launched since)',
    );
    expect(instanceTypeProblem('t3.huge')).to.match(/got "t3.huge": "huge" is not an instance size$/);
    for (const bad of ['t3', 't3.small.x', '', 42])
      expect(instanceTypeProblem(bad), String(bad)).to.be.a('string');
  });

  it('knows region names, not only their shape', () => {
    expect(regionProblem('eu-west-1')).to.equal(undefined);
    expect(regionProblem('us-gov-west-1')).to.equal(undefined);
    expect(regionProblem('eu-west-9')).to.include('got "eu-west-9"');
    expect(regionProblem(42)).to.include('got 42');
  });

  it('reads schedules as EventBridge does', () => {
    for (const ok of [
      'rate(1 day)',
      'rate(2 days)',
      'rate(15 minutes)',
      'cron(0 6 * * ? *)',
      'cron(0 6 ? * MON-FRI *)',
    ]) {
      expect(scheduleProblems(ok), ok).to.deep.equal([]);
    }
    expect(scheduleProblems('rate(2 day)')[0]).to.include('must say "rate(2 days)"');
    expect(scheduleProblems('rate(0 days)')[0]).to.include('at least 1');
    expect(scheduleProblems('cron(0 6 * * * *)')[0]).to.include(
      '"?" in exactly one of day-of-month and day-of-week',
    );
    expect(scheduleProblems('cron(0 6 * *)')[0]).to.include('six cron fields').and.include('which has 4');
    expect(scheduleProblems('every day')[0]).to.include('got "every day"');
  });

  it('finds control characters: C0, DEL and C1', () => {
    for (const text of ['a\nb', 'tab\t', 'esc\u001b[0m', 'del\u007f', 'c1\u009b']) {
      expect(hasControlCharacter(text), JSON.stringify(text)).to.equal(true);
    }
    expect(hasControlCharacter('plain text, with ünïcödé and emoji 🙂')).to.equal(false);
  });

  it('tells Nitro types from Xen ones, bare metal included', () => {
    const nitro = [
      't3.micro',
      't4g.small',
      'm5.large',
      'c7gn.xlarge',
      'i3en.large',
      'p3dn.24xlarge',
      'i3.metal',
    ];
    const xen = ['t2.micro', 'm4.large', 'c4.xlarge', 'i3.large', 'r4.large', 'p3.2xlarge', 'x1e.xlarge'];
    expect(nitro.filter((t) => !runsOnNitro(t))).to.deep.equal([]);
    expect(xen.filter((t) => runsOnNitro(t))).to.deep.equal([]);
  });

  it('refuses bases that do not run user data as a shell script, by name, parameter or platform', () => {
    expect(unsupportedBase({ name: 'bottlerocket-aws-k8s-1.31-x86_64-v1.30.0-abc' })).to.match(
      /^Bottlerocket cannot be baked/,
    );
    expect(unsupportedBase({ name: '/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id' })).to.match(
      /^Bottlerocket/,
    );
    expect(unsupportedBase({ name: 'custom-golden-2026', platform: 'windows' })).to.match(
      /^Windows bases are not supported/,
    );
    expect(unsupportedBase({ name: 'al2023-ami-ecs-hvm-2023.0.20261129-kernel-6.1-x86_64' })).to.equal(
      undefined,
    );
    expect(
      unsupportedBase({ name: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20261129' }),
    ).to.equal(undefined);
  });
});
