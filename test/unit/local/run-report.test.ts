import { expect } from 'chai';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { type CycleReport, runReport, runVerdict } from '../../../local/run-report';

const build = (recipeName: string, status: BuildRecord['status']) =>
  ({
    recipeName,
    buildId: `${recipeName}-20261129060000-abcdef`,
    baseImageId: 'ami-0aae19d30bab785d3',
    status,
    ...(status === 'succeeded' ? { imageId: 'ami-0123456789abcdef0' } : { errorCode: 'CustomisationFailed' }),
  }) as BuildRecord;

const cycle = (decisions: CycleReport['decisions'], builds: BuildRecord[] = []): CycleReport => ({
  cycle: 1,
  startedBy: 'schedule',
  decisions,
  builds,
});

const MISSING =
  'SSM parameter /aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id does not exist or is not readable';

describe('the local run verdict and report', () => {
  const options = { allowSkipped: false, problems: [], seconds: 80 };

  it('passes when every build succeeded and no recipe was skipped', () => {
    const verdict = runVerdict(
      [cycle([{ recipe: 'ecs', decision: 'started', reason: 'new base' }], [build('ecs', 'succeeded')])],
      options,
    );
    expect(verdict).to.deep.equal({ code: 0, lines: ['1 build(s), 1 succeeded, in 80.0 s'] });
  });

  it('fails on a skipped recipe, naming it and the emulator gap, unless skipped recipes are allowed', () => {
    const cycles = [
      cycle(
        [
          { recipe: 'ecs', decision: 'started', reason: 'new base' },
          { recipe: 'ubuntu', decision: 'skipped', reason: MISSING },
        ],
        [build('ecs', 'succeeded')],
      ),
    ];
    const failed = runVerdict(cycles, options);
    expect(failed.code).to.equal(1);
    expect(failed.lines[1]).to.match(
      /^skipped: ubuntu: SSM parameter \/aws\/service\/canonical\/.* \(an emulator gap: .*npm start -- --seed-parameter \/aws\/service\/canonical\/ubuntu\/\S+=ami-\.\.\., or .*base\.describe\)$/,
    );
    expect(failed.lines[2]).to.equal(
      '1 recipe(s) skipped: the run fails (pass --allow-skipped to accept it)',
    );
    const allowed = runVerdict(cycles, { ...options, allowSkipped: true });
    expect(allowed.code).to.equal(0);
    expect(allowed.lines[2]).to.equal('1 recipe(s) skipped, allowed by --allow-skipped');
  });

  it('fails on a recipe refused at run time, and reports what still needs attention after the last cycle', () => {
    const mismatch = 'recipe "arm": instanceType "t3.small" runs x86_64 but the base is arm64 (base ami-arm)';
    const cycles = [
      cycle(
        [
          { recipe: 'ecs', decision: 'skipped', reason: MISSING },
          { recipe: 'arm', decision: 'invalid', reason: mismatch },
        ],
        [],
      ),
      {
        ...cycle([{ recipe: 'ecs', decision: 'started', reason: 'new base' }], [build('ecs', 'succeeded')]),
        cycle: 2,
      },
    ];
    const verdict = runVerdict(cycles, { ...options, allowSkipped: true });
    expect(verdict.code).to.equal(1);
    expect(verdict.lines).to.include.members([
      `invalid: arm: ${mismatch}`,
      '1 recipe(s) invalid at run time: the run fails',
    ]);
    const report = runReport({ resources: 38, seconds: 65, overrides: [] }, cycles) as {
      needsAttention: object[];
    };
    expect(report.needsAttention).to.deep.equal([{ recipe: 'arm', decision: 'invalid', reason: mismatch }]);
  });

  it('fails when a build failed, when nothing was built, or when the emulator met a call it could not judge', () => {
    expect(runVerdict([cycle([], [build('ecs', 'failed')])], options).code).to.equal(1);
    expect(
      runVerdict([cycle([{ recipe: 'ecs', decision: 'not-due', reason: 'built' }])], options).code,
    ).to.equal(1);
    const judged = runVerdict([cycle([], [build('ecs', 'succeeded')])], {
      ...options,
      problems: ['no IAM mapping'],
    });
    expect(judged).to.deep.equal({
      code: 1,
      lines: ['1 build(s), 1 succeeded, in 80.0 s', 'emulator problem: no IAM mapping'],
    });
  });

  it('reports every decision of every cycle, not-due and skipped included, and every build', () => {
    const overrides = [
      {
        resource: 'aws_lambda_function.trigger',
        functionName: 'amibake_ami_build_trigger',
        attribute: 'runtime' as const,
        declared: 'nodejs24.x',
        planned: 'nodejs22.x',
        reason: 'hashicorp/aws 5.100.0 accepts nodejs24.x from 6.19.0 on',
      },
    ];
    const report = runReport({ resources: 38, seconds: 65, overrides }, [
      cycle(
        [{ recipe: 'ecs', decision: 'started', reason: 'new base', buildId: 'b', baseImageId: 'ami-1' }],
        [build('ecs', 'failed')],
      ),
      { ...cycle([{ recipe: 'ecs', decision: 'not-due', reason: 'built' }]), cycle: 2, startedBy: 'release' },
    ]);
    expect(report).to.deep.equal({
      deployment: { tool: 'terraform', resources: 38, seconds: 65, overrides },
      needsAttention: [],
      cycles: [
        {
          cycle: 1,
          startedBy: 'schedule',
          decisions: [
            { recipe: 'ecs', decision: 'started', reason: 'new base', buildId: 'b', baseImageId: 'ami-1' },
          ],
        },
        {
          cycle: 2,
          startedBy: 'release',
          decisions: [{ recipe: 'ecs', decision: 'not-due', reason: 'built' }],
        },
      ],
      builds: [
        {
          recipe: 'ecs',
          buildId: 'ecs-20261129060000-abcdef',
          baseImageId: 'ami-0aae19d30bab785d3',
          imageId: null,
          status: 'failed',
          errorCode: 'CustomisationFailed',
          promoted: false,
        },
      ],
    });
  });

  it("accepts a build that failed its tests only where the scenario makes them fail, and reports each build's tests", () => {
    const tested = (status: BuildRecord['status'], outcome: 'passed' | 'failed', errorCode?: string) =>
      ({
        ...build('ecs', status),
        test: { requestedAt: '2026-11-29T06:10:00Z', outcome },
        ...(errorCode ? { errorCode } : {}),
      }) as BuildRecord;
    const cycles = [
      cycle([], [tested('succeeded', 'passed')]),
      { ...cycle([], [tested('failed', 'failed', 'TestsFailed')]), cycle: 2, failingTests: ['ecs'] },
    ];
    const verdict = runVerdict(cycles, options);
    expect(verdict).to.deep.equal({
      code: 0,
      lines: ['2 build(s), 1 succeeded, 1 failed its tests as the scenario has it, in 80.0 s'],
    });
    // The same failure where the scenario expects none, or another failure where it does, fails the run.
    expect(runVerdict([{ ...cycles[1], failingTests: [] } as CycleReport], options).code).to.equal(1);
    expect(
      runVerdict([{ ...cycle([], [build('ecs', 'failed')]), failingTests: ['ecs'] }], options).code,
    ).to.equal(1);
    const builds = (runReport({ resources: 38, seconds: 65, overrides: [] }, cycles) as { builds: object[] })
      .builds;
    expect(builds.map((b) => ({ ...b }))).to.deep.include.members([
      {
        recipe: 'ecs',
        buildId: 'ecs-20261129060000-abcdef',
        baseImageId: 'ami-0aae19d30bab785d3',
        imageId: 'ami-0123456789abcdef0',
        status: 'succeeded',
        tests: 'passed',
        promoted: true,
      },
    ]);
    expect(builds[1]).to.include({ tests: 'failed', promoted: false, errorCode: 'TestsFailed' });
  });
});
