import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import type { AmiBakeConfig } from '../../deployment/config';
import { AmiBakeStack } from '../../infra/stack';
import { builtBundles, PROJECT_ROOT } from '../../scripts/bundle-functions';

/**
 * Synthesizes the stack of a configuration as `npm run synth` does, into `outdir`
 * (`cdktf.out` for the local run), and returns the stack's directory: the Terraform JSON and
 * its assets, exactly what `cdktf deploy` would apply. The bundles must be built already.
 */
export function synthStack(config: AmiBakeConfig, outdir: string, projectRoot = PROJECT_ROOT): string {
  mkdirSync(outdir, { recursive: true });
  const app = new App({ outdir });
  new AmiBakeStack(app, config.namePrefix, { config, projectRoot, bundles: builtBundles() });
  app.synth();
  return join(outdir, 'stacks', config.namePrefix);
}
