import { App } from 'cdktf';
import { config } from '../amibake.config';
import { AmiBakeStack } from '../infra/stack';
import { bundleFunctions, PROJECT_ROOT } from './bundle-functions';

/**
 * Synthesizes the stack of amibake.config.ts into the folder given (`tsx scripts/synth-stack.ts
 * <outdir>`), and nothing else: what the cdktn comparison runs once with each library.
 */
const outdir = process.argv[2];
if (!outdir) throw new Error('usage: tsx scripts/synth-stack.ts <outdir>');
const app = new App({ outdir });
new AmiBakeStack(app, config.namePrefix, { config, projectRoot: PROJECT_ROOT, bundles: bundleFunctions() });
app.synth();
