import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { BUNDLE_TARGET, FUNCTION_NAMES, type FunctionName } from '../deployment/functions';
import { deterministicZip } from './deterministic-zip';

export const PROJECT_ROOT = resolve(__dirname, '..');
export const DIST = join(PROJECT_ROOT, 'dist', 'functions');

export interface Bundle {
  name: FunctionName;
  /** dist/functions/<name>/index.js: what the local run loads. */
  file: string;
  /** dist/functions/<name>.zip: what the stack deploys. */
  zip: string;
  bytes: number;
}

/**
 * Bundles each handler into one minified CommonJS file for the Lambda Node.js runtime,
 * SDK included (pinned versions, no dependency on the runtime's copy), then zips it.
 */
export function bundleFunctions(): Bundle[] {
  return FUNCTION_NAMES.map((name) => {
    const outdir = join(DIST, name);
    mkdirSync(outdir, { recursive: true });
    const result = buildSync({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [`functions/${name}/handler.ts`],
      bundle: true,
      minify: true,
      platform: 'node',
      target: BUNDLE_TARGET,
      format: 'cjs',
      write: false,
      legalComments: 'none',
      loader: { '.sh': 'text' },
      mainFields: ['module', 'main'],
      logLevel: 'warning',
    });
    const code = result.outputFiles[0];
    if (!code) throw new Error(`esbuild produced nothing for ${name}`);
    const file = join(outdir, 'index.js');
    writeFileSync(file, code.contents);
    const zip = join(DIST, `${name}.zip`);
    writeFileSync(zip, deterministicZip([{ name: 'index.js', content: Buffer.from(code.contents) }]));
    return { name, file, zip, bytes: code.contents.length };
  });
}

/** The bundles of the last build (`npm run build`), without bundling again. */
export function builtBundles(): Bundle[] {
  return FUNCTION_NAMES.map((name) => {
    const file = join(DIST, name, 'index.js');
    const zip = join(DIST, `${name}.zip`);
    if (!existsSync(file) || !existsSync(zip)) throw new Error(`${zip} is missing: run npm run build`);
    return { name, file, zip, bytes: statSync(file).size };
  });
}

if (require.main === module) {
  for (const bundle of bundleFunctions()) {
    console.log(
      `${bundle.name.padEnd(24)} ${(bundle.bytes / 1024).toFixed(0).padStart(6)} KiB  ${bundle.zip}`,
    );
  }
}
