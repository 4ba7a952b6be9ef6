import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from '../amibake.config';
import { PROJECT_ROOT } from './bundle-functions';

/**
 * `npm run test:cdktn`: the move to CDK Terrain, proven before it is needed. The stack of
 * amibake.config.ts is synthesized twice by main.ts, with cdktf (the default) and with cdktn (installed
 * from compat/cdktn, its imports redirected by scripts/cdktn-alias.cjs), and the two Terraform
 * JSON documents are compared: the same resources, data sources and outputs at the same
 * addresses, or the command fails. Bodies that differ are listed (the two libraries pin
 * different provider releases).
 */

type TerraformJson = Record<string, Record<string, Record<string, unknown>> | undefined> & {
  terraform?: { required_providers?: Record<string, { source?: string; version?: string }> };
};

const CDKTN_DIR = join(PROJECT_ROOT, 'compat', 'cdktn');

function synth(outdir: string, withCdktn: boolean): TerraformJson {
  const args = [
    ...(withCdktn ? ['-r', join(PROJECT_ROOT, 'scripts', 'cdktn-alias.cjs')] : []),
    '-r',
    'tsx/cjs',
    join(PROJECT_ROOT, 'main.ts'),
  ];
  // main.ts as `npm run synth` runs it; both libraries' App writes to CDKTF_OUTDIR.
  const run = spawnSync(process.execPath, args, {
    cwd: PROJECT_ROOT,
    encoding: 'utf-8',
    env: { ...process.env, AMIBAKE_CDKTN_DIR: CDKTN_DIR, CDKTF_OUTDIR: outdir },
  });
  if (run.status !== 0) {
    throw new Error(`synth with ${withCdktn ? 'cdktn' : 'cdktf'} failed:\n${run.stderr.slice(-3000)}`);
  }
  return JSON.parse(readFileSync(join(outdir, 'stacks', config.namePrefix, 'cdk.tf.json'), 'utf-8'));
}

/** Every address of a Terraform JSON document, with its body less cdktf's metadata. */
function addresses(tf: TerraformJson): Map<string, string> {
  const found = new Map<string, string>();
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(tf[kind] ?? {})) {
      for (const [name, body] of Object.entries(byName as Record<string, Record<string, unknown>>)) {
        const { '//': _metadata, ...rest } = body;
        found.set(`${kind === 'data' ? 'data.' : ''}${type}.${name}`, JSON.stringify(rest));
      }
    }
  }
  for (const [name, body] of Object.entries(tf.output ?? {}))
    found.set(`output.${name}`, JSON.stringify(body));
  return found;
}

const version = (pkg: string, from: string) =>
  (
    JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`, { paths: [from] }), 'utf-8')) as {
      version: string;
    }
  ).version;

function main(): number {
  if (!existsSync(join(CDKTN_DIR, 'node_modules', 'cdktn'))) {
    process.stderr.write('cdktn is not installed: run npm ci --prefix compat/cdktn first\n');
    return 1;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'amibake-cdktn-'));
  try {
    const cdktfJson = synth(join(scratch, 'cdktf'), false);
    const cdktnJson = synth(join(scratch, 'cdktn'), true);
    // Each document names the library that wrote it: a redirection that did not take would
    // compare cdktf with itself.
    const writtenBy = (tf: TerraformJson) =>
      (tf['//'] as { metadata?: { version?: string } } | undefined)?.metadata?.version;
    const expected = { cdktf: version('cdktf', PROJECT_ROOT), cdktn: version('cdktn', CDKTN_DIR) };
    if (writtenBy(cdktfJson) !== expected.cdktf || writtenBy(cdktnJson) !== expected.cdktn) {
      throw new Error(
        `the synths were written by ${writtenBy(cdktfJson)} and ${writtenBy(cdktnJson)}, not cdktf ${expected.cdktf} and cdktn ${expected.cdktn}`,
      );
    }
    const cdktf = addresses(cdktfJson);
    const cdktn = addresses(cdktnJson);
    const onlyCdktf = [...cdktf.keys()].filter((a) => !cdktn.has(a));
    const onlyCdktn = [...cdktn.keys()].filter((a) => !cdktf.has(a));
    const differing = [...cdktf.keys()].filter((a) => cdktn.has(a) && cdktn.get(a) !== cdktf.get(a));
    const provider = (tf: TerraformJson) => tf.terraform?.required_providers?.aws;
    const say = (line: string) => process.stdout.write(`${line}\n`);
    say(
      `cdktf ${version('cdktf', PROJECT_ROOT)} with @cdktf/provider-aws ${version('@cdktf/provider-aws', PROJECT_ROOT)} (aws ${provider(cdktfJson)?.version}); ` +
        `cdktn ${version('cdktn', CDKTN_DIR)} with @cdktn/provider-aws ${version('@cdktn/provider-aws', CDKTN_DIR)} (aws ${provider(cdktnJson)?.version})`,
    );
    say(`addresses: ${cdktf.size} with cdktf, ${cdktn.size} with cdktn`);
    for (const a of onlyCdktf) say(`  only with cdktf: ${a}`);
    for (const a of onlyCdktn) say(`  only with cdktn: ${a}`);
    say(`bodies: ${cdktf.size - onlyCdktf.length - differing.length} identical, ${differing.length} differ`);
    for (const a of differing) say(`  differs: ${a}`);
    const same = onlyCdktf.length === 0 && onlyCdktn.length === 0;
    say(
      same
        ? 'same resources at the same addresses'
        : 'the addresses differ: the move to cdktn would replace resources',
    );
    return same ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

process.exit(main());
