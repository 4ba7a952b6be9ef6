#!/usr/bin/env node
// `npx amibake`: runs the TypeScript command line through tsx (a dev dependency of the project),
// on a Node.js that satisfies package.json's engines (this one, or the pinned release, saying so).
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');
const { floorPath, NodeUnavailableError } = require('../scripts/node-toolchain.cjs');

let floor;
try {
  floor = floorPath();
} catch (error) {
  if (!(error instanceof NodeUnavailableError)) throw error;
  process.stderr.write(`amibake: ${error.message}\n`);
  process.exit(1);
}
if (floor) {
  const run = spawnSync(join(floor, 'node'), process.argv.slice(1), { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}

require('tsx/cjs');
const { runCli } = require('../cli/main.ts');

runCli(process.argv.slice(2), process.env, (text) => process.stdout.write(text)).then((out) => {
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.code;
});
