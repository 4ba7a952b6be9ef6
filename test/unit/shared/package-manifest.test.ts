import { expect } from 'chai';
import { previousBuild } from '../../../functions/ami-image-create/package-changes';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { diffPackages, parseManifest, summarizeDiff } from '../../../functions/shared/package-manifest';

const manifest = (before: string[], after: string[]) =>
  ['[before]', ...before, '[after]', ...after, ''].join('\n');

describe('package manifests', () => {
  it('reads both sections and ignores malformed lines', () => {
    const parsed = parseManifest(
      manifest(['bash\t5.2', 'not a package line'], ['bash\t5.2', 'jq\t1.6\textra']),
    );
    expect([...parsed.before]).to.deep.equal([['bash', '5.2']]);
    expect([...parsed.after]).to.deep.equal([['bash', '5.2']]);
    expect(parseManifest('[before]\nbash\t5.2\n').after.size, 'a customisation that never ended').to.equal(0);
  });

  it('lists what was added, removed and changed, and the kernel change of an rpm image', () => {
    const earlier = new Map([
      ['bash.x86_64', '5.2.15-1.amzn2023'],
      ['kernel.x86_64', '6.1.90-99.173.amzn2023'],
      ['telnet.x86_64', '0.17-1'],
    ]);
    const later = new Map([
      ['bash.x86_64', '5.2.15-1.amzn2023'],
      ['jq.x86_64', '1.7.1-1'],
      ['kernel.x86_64', '6.1.94-99.176.amzn2023'],
    ]);
    const diff = diffPackages(earlier, later);
    expect(diff).to.deep.equal({
      added: [{ name: 'jq.x86_64', version: '1.7.1-1' }],
      removed: [{ name: 'telnet.x86_64', version: '0.17-1' }],
      changed: [{ name: 'kernel.x86_64', from: '6.1.90-99.173.amzn2023', to: '6.1.94-99.176.amzn2023' }],
      kernel: {
        name: 'kernel.x86_64',
        from: 'kernel.x86_64 6.1.90-99.173.amzn2023',
        to: 'kernel.x86_64 6.1.94-99.176.amzn2023',
      },
    });
    expect(summarizeDiff(diff)).to.equal(
      '1 added, 1 removed, 1 changed; kernel kernel.x86_64 6.1.90-99.173.amzn2023 -> kernel.x86_64 6.1.94-99.176.amzn2023',
    );
  });

  it('finds a Debian kernel by its newest linux-image package, numerically', () => {
    const earlier = new Map([['linux-image-6.1.0-9-amd64', '6.1.27-1']]);
    const later = new Map([
      ['linux-image-6.1.0-9-amd64', '6.1.27-1'],
      ['linux-image-6.1.0-27-amd64', '6.1.115-1'],
    ]);
    expect(diffPackages(earlier, later).kernel).to.deep.equal({
      name: 'linux-image-6.1.0-27-amd64',
      from: 'linux-image-6.1.0-9-amd64 6.1.27-1',
      to: 'linux-image-6.1.0-27-amd64 6.1.115-1',
    });
    expect(diffPackages(later, later)).to.deep.equal({
      added: [],
      removed: [],
      changed: [],
      kernel: undefined,
    });
  });

  it("compares a build with the recipe's succeeded build published before it", () => {
    const build = (id: string, createdAt: string, finishedAt: string) =>
      ({ buildId: id, createdAt, finishedAt }) as BuildRecord;
    const a = build('a', '2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z');
    const b = build('b', '2026-11-02T00:00:00Z', '2026-11-02T01:00:00Z');
    const c = build('c', '2026-11-03T00:00:00Z', '2026-11-03T01:00:00Z');
    expect(previousBuild([a, c, b], c)?.buildId).to.equal('b');
    expect(previousBuild([a, c, b], a)).to.equal(undefined);
  });
});
