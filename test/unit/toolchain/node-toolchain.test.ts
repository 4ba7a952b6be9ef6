import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import packageJson from '../../../package.json';
import {
  binaryPackage,
  engineFloor,
  floorPath,
  nodeBinary,
  pinnedRelease,
  preferredMajor,
  satisfiesEngines,
} from '../../../scripts/node-toolchain.cjs';

describe('the Node.js toolchain', function () {
  this.timeout(120_000);

  it("reads package.json's engines as the floor", () => {
    expect(packageJson.engines.node).to.equal('^22.12 || ^24');
    expect(engineFloor()).to.equal('22.12');
    expect(satisfiesEngines('v22.12.0')).to.equal(true);
    expect(satisfiesEngines('v24.0.0')).to.equal(true);
    expect(satisfiesEngines('v22.11.9'), 'below the floor').to.equal(false);
    expect(satisfiesEngines('v20.20.2'), 'past end of life').to.equal(false);
    expect(satisfiesEngines('v23.11.0'), 'an odd release').to.equal(false);
    expect(() => satisfiesEngines('v24.0.0', '>=22')).to.throw('caret ranges');
  });

  it('pins one release per major, with its integrity, and runs on the newest when the machine is too old', () => {
    expect(preferredMajor()).to.equal(24);
    expect(pinnedRelease(24).integrity).to.match(/^sha512-/);
    expect(() => pinnedRelease(18)).to.throw('no Node 18 release is pinned');
    expect(() => pinnedRelease(24, { '24': { version: '24.22.3', integrity: {} } })).to.throw(
      `Node 24.22.3 is pinned for , not for ${binaryPackage()}`,
    );
  });

  it('runs on this Node when it satisfies engines, and says which Node it chose when it does not', () => {
    const lines: string[] = [];
    expect(floorPath({ version: process.version, log: (l) => lines.push(l) })).to.equal(undefined);
    expect(lines).to.deep.equal([]);
    const dir = floorPath({ version: 'v20.20.2', log: (l) => lines.push(l) });
    expect(lines.at(-1)).to.match(
      /^amibake: Node v20\.20\.2 is older than the floor \(22\.12\); running on Node 24\.22\.3 /,
    );
    const version = execFileSync(join(dir ?? '', 'node'), ['--version'], { encoding: 'utf-8' }).trim();
    expect(version).to.equal(`v${pinnedRelease(24).version}`);
  });

  it('refuses a package that does not match its pin, and installs nothing', () => {
    const cache = mkdtempSync(join(tmpdir(), 'amibake-node-cache-'));
    try {
      const { version } = pinnedRelease(24);
      const forged = { '24': { version, integrity: { [binaryPackage()]: 'sha512-forged' } } };
      expect(() =>
        nodeBinary(24, {
          env: { ...process.env, AMIBAKE_NODE_CACHE: cache },
          releases: forged,
          log: () => {},
        }),
      ).to.throw(`does not match its pin: package.json config.nodeReleases says sha512-forged`);
      expect(execFileSync('ls', ['-A', cache], { encoding: 'utf-8' })).to.equal('');
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
