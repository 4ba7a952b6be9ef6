import { expect } from 'chai';
import sinon from 'sinon';
import { applyProgress, refreshProgress } from '../../../local/deploy/stack-deployment';

describe("the local deployment's apply progress", () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers();
  });
  afterEach(() => clock.restore());

  it("counts Terraform's completed resource changes against its plan, every few seconds", () => {
    const said: string[] = [];
    const progress = applyProgress(
      (line) => said.push(line),
      5000,
      () => Date.now(),
    );
    progress.hear('Plan: 3 to add, 1 to change, 0 to destroy.');
    progress.hear('aws_iam_role.trigger: Creating...');
    progress.hear('aws_iam_role.trigger: Creation complete after 1s [id=amibake-ami-build-trigger]');
    progress.hear('aws_sqs_queue.failed: Creation complete after 0s [id=https://queue]');
    clock.tick(5000);
    progress.hear(
      'aws_lambda_function.trigger: Modifications complete after 2s [id=amibake_ami_build_trigger]',
    );
    clock.tick(5000);
    progress.stop();
    clock.tick(20_000);
    expect(said).to.deep.equal([
      'terraform apply: 2 of 4 resource changes done (5 s)',
      'terraform apply: 3 of 4 resource changes done (10 s)',
    ]);
  });

  it("counts a plan's refreshed resources against the state's, then says it is comparing", () => {
    const said: string[] = [];
    const progress = refreshProgress(
      (line) => said.push(line),
      3,
      5000,
      () => Date.now(),
    );
    progress.hear('aws_iam_role.trigger: Refreshing state... [id=amibake-ami-build-trigger]');
    progress.hear('aws_sqs_queue.failed: Refreshing state... [id=https://queue]');
    clock.tick(5000);
    progress.hear('aws_lambda_function.trigger: Refreshing state... [id=amibake_ami_build_trigger]');
    progress.hear('Terraform will perform the following actions:');
    clock.tick(5000);
    progress.stop();
    clock.tick(20_000);
    expect(said).to.deep.equal([
      'terraform plan: 2 of 3 resources refreshed (5 s)',
      'terraform plan: 3 of 3 resources refreshed, comparing with the configuration (10 s)',
    ]);
  });

  it('counts without a total when there is no state yet', () => {
    const said: string[] = [];
    const progress = refreshProgress(
      (line) => said.push(line),
      undefined,
      5000,
      () => Date.now(),
    );
    progress.hear('aws_iam_role.trigger: Refreshing state... [id=amibake-ami-build-trigger]');
    clock.tick(5000);
    progress.stop();
    expect(said).to.deep.equal(['terraform plan: 1 resources refreshed (5 s)']);
  });
});
