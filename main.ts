import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { App } from 'cdktf';
import { config } from './amibake.config';
import { InvalidInputError } from './functions/shared/errors';
import { AmiBakeStack } from './infra/stack';
import { synthSummary } from './infra/synth-summary';
import { bundleFunctions, PROJECT_ROOT } from './scripts/bundle-functions';

// The composition root: bundle the functions, declare the stack from the one configuration, synth.
try {
  const app = new App();
  const stack = new AmiBakeStack(app, config.namePrefix, {
    config,
    projectRoot: PROJECT_ROOT,
    bundles: bundleFunctions(),
  });
  app.synth();
  for (const notice of stack.notices) console.error(`amibake: ${notice}`);
  const stackDir = join(app.outdir, 'stacks', config.namePrefix);
  const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf-8'));
  console.log(synthSummary(config, tf, relative(process.cwd(), stackDir) || stackDir));
} catch (error) {
  if (!(error instanceof InvalidInputError)) throw error;
  console.error(`amibake.config.ts is not valid:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exitCode = 1;
}
