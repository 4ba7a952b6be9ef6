#!/usr/bin/env node
// `npx amibake`: runs the TypeScript command line through tsx (a dev dependency of the project).
require('tsx/cjs');
const { runCli } = require('../cli/main.ts');

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
runCli(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then((out) => {
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.code;
});
