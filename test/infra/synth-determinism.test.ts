import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { scratchDir } from '../support/scratch';

function filesUnder(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(root, path), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

/** `npm run synth` (main.ts: bundle, declare, synth) into `outdir`. */
function synthInto(outdir: string): Map<string, Buffer> {
  execFileSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, CDKTF_OUTDIR: outdir },
    stdio: 'pipe',
  });
  return filesUnder(outdir);
}

describe('synth', () => {
  const scratch = scratchDir();
  let first: Map<string, Buffer>;
  let second: Map<string, Buffer>;

  before(function () {
    this.timeout(120_000);
    first = synthInto(join(scratch.path, 'one'));
    second = synthInto(join(scratch.path, 'two'));
  });
  after(() => scratch.remove());

  it('writes the stack and one zip asset per function', () => {
    const names = [...first.keys()].sort();
    expect(names.filter((n) => n.endsWith('.zip'))).to.have.length(3);
    expect(names).to.include(join('stacks', 'amibake', 'cdk.tf.json'));
  });

  it('gives byte-identical Terraform JSON and assets twice in a row', () => {
    expect([...second.keys()].sort()).to.deep.equal([...first.keys()].sort());
    for (const [name, bytes] of first) {
      expect(second.get(name)?.equals(bytes), `${name} differs`).to.equal(true);
    }
  });

  it('holds no absolute path of the building machine', () => {
    const text = [...first.entries()]
      .filter(([name]) => name.endsWith('.json'))
      .map(([, bytes]) => bytes.toString('utf-8'))
      .join('\n');
    for (const path of [PROJECT_ROOT, scratch.path, homedir()]) {
      expect(text.includes(path), `output contains ${path}`).to.equal(false);
    }
    const bundle = readFileSync(
      join(PROJECT_ROOT, 'dist', 'functions', 'ami-build-trigger', 'index.js'),
      'utf-8',
    );
    expect(bundle.includes(PROJECT_ROOT)).to.equal(false);
  });
});
