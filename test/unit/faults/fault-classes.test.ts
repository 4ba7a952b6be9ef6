import { expect } from 'chai';
import type { TracedCall } from '../../../local/emulator/fault-injector';
import { faultClasses } from '../../faults/classes';
import { combineCoverage, coverageLine, type FaultCoverage, parseCoverageLine } from '../../faults/coverage';

const call = (fn: string, action: string, requestId: string, region = 'us-east-1'): TracedCall => ({
  fn,
  action,
  region,
  requestId,
});

/** A trigger and an image-create invocation: a run of two TerminateInstances, a DescribeImages twice apart. */
const TRACE: TracedCall[] = [
  call('trigger', 's3:GetObject', 'r1'),
  call('trigger', 'lambda:Invoke', 'r1'),
  call('image', 'ec2:DescribeImages', 'r2'),
  call('image', 'ec2:CreateImage', 'r2'),
  call('image', 'ec2:DescribeImages', 'r2'),
  call('image', 'ec2:TerminateInstances', 'r2'),
  call('image', 'ec2:TerminateInstances', 'r2'),
  call('image', 'ec2:TerminateInstances', 'r3'),
  call('image', 'ec2:DescribeImages', 'r3', 'eu-west-1'),
];

const summary = (classes: ReturnType<typeof faultClasses>) =>
  classes.map((c) => `${c.at} ${c.what} ${c.kinds.join('+')}`);

describe('fault classes of a clean trace', () => {
  it('puts a refusal and a crash at every run of one action in one invocation, retries once per function', () => {
    expect(summary(faultClasses(TRACE, () => true))).to.deep.equal([
      '1 retries throttle+server-error',
      '1 calls permanent+crash',
      '2 calls permanent+crash',
      '3 retries throttle+server-error',
      '3 calls permanent+crash',
      '4 calls permanent+crash',
      // The second DescribeImages of r2 is another step (a CreateImage came between).
      '5 calls permanent+crash',
      '6 calls permanent+crash',
      // #7 repeats #6 in the same invocation; #8 is the same action in another invocation.
      '8 calls permanent+crash',
      '9 calls permanent+crash',
    ]);
  });

  it('injects only at the calls a configuration selects, keeping their positions in the trace', () => {
    const classes = faultClasses(TRACE, (c) => c.region === 'eu-west-1');
    expect(summary(classes)).to.deep.equal(['9 retries throttle+server-error', '9 calls permanent+crash']);
  });

  it('sweeps every call with --every-call: retried kinds at the first call of each pair', () => {
    const classes = faultClasses(TRACE, () => true, true);
    expect(classes).to.have.length(TRACE.length);
    expect(summary(classes).filter((c) => c.includes('throttle'))).to.deep.equal([
      '1 calls throttle+server-error+permanent+crash',
      '2 calls throttle+server-error+permanent+crash',
      '3 calls throttle+server-error+permanent+crash',
      '4 calls throttle+server-error+permanent+crash',
      '6 calls throttle+server-error+permanent+crash',
      '9 calls throttle+server-error+permanent+crash',
    ]);
  });
});

describe("the fault layer's coverage line", () => {
  const shard = (recovered: number, covered: string[]): FaultCoverage => ({
    classes: 4,
    recovered,
    pairs: ['a', 'b', 'c'],
    covered,
  });

  it('combines the shards: every class recovered and every pair covered', () => {
    const result = combineCoverage([shard(2, ['a', 'b']), shard(2, ['c', 'a'])], 2);
    expect(result).to.deep.equal({
      line: 'fault injection: 4/4 classes recovered; 3/3 (function, action, region) pairs of the full trace covered',
      complete: true,
    });
  });

  it('fails when a class failed, naming the pair it left uncovered', () => {
    const result = combineCoverage([shard(2, ['a', 'b']), shard(1, ['a'])], 2);
    expect(result.complete).to.equal(false);
    expect(result.line).to.equal(
      'fault injection: 3/4 classes recovered; 2/3 (function, action, region) pairs of the full trace covered (not covered: c)',
    );
  });

  it('fails when a shard never reported (it crashed before its last line)', () => {
    const result = combineCoverage([shard(4, ['a', 'b', 'c'])], 2);
    expect(result.complete).to.equal(false);
    expect(result.line).to.include('1 of 2 processes reported');
  });

  it('fails when nothing ran', () => {
    expect(combineCoverage([{ classes: 0, recovered: 0, pairs: [], covered: [] }]).complete).to.equal(false);
  });

  it('reads its line back from a prefixed output line', () => {
    const coverage = shard(1, ['a']);
    expect(parseCoverageLine(`[faults-1] ${coverageLine(coverage)}`)).to.deep.equal(coverage);
    expect(parseCoverageLine('[faults-1]   12 passing')).to.equal(undefined);
  });
});
