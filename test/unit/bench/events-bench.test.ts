import { expect } from 'chai';
import { largestWithinTimeout, pollingWaitSeconds } from '../../../bench/events-bench';

describe('the completion benchmark model', () => {
  it('bills the previous design for every second it polled: 840 s per invocation, again at each 15-minute sweep', () => {
    expect(pollingWaitSeconds(60)).to.equal(60);
    expect(pollingWaitSeconds(840)).to.equal(840);
    // 20 minutes: the first invocation gives up at 840 s, the sweep at 900 s polls the last 300 s.
    expect(pollingWaitSeconds(1200)).to.equal(840 + 300);
    // 40 minutes: sweeps at 900 s and 1800 s each poll up to 840 s.
    expect(pollingWaitSeconds(2400)).to.equal(840 + 840 + 600);
  });

  it("extrapolates the trigger's reach within its timeout from the largest run of each selector count", () => {
    const runs = [
      { recipes: 100, selectors: 10, calls: 5, ms: 300, peakMemoryMiB: 110 },
      { recipes: 5000, selectors: 10, calls: 60, ms: 3000, peakMemoryMiB: 130 },
      { recipes: 5000, selectors: 50, calls: 80, ms: 6000, peakMemoryMiB: 140 },
    ];
    // 300 s at 0.6 ms and 1.2 ms per recipe.
    expect(largestWithinTimeout(runs)).to.deep.equal({ '10': 500_000, '50': 250_000 });
  });
});
