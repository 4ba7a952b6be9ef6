// Loaded with `node -r` by the cdktn comparison (scripts/compare-cdktn.ts): resolves `cdktf`,
// `@cdktf/provider-aws/...` and `constructs` to CDK Terrain's packages (`cdktn`,
// `@cdktn/provider-aws/...`) installed under $AMIBAKE_CDKTN_DIR, so that the stack's own code
// synthesizes unchanged with the maintained fork.
const Module = require('node:module');

const root = process.env.AMIBAKE_CDKTN_DIR;
if (!root) throw new Error('AMIBAKE_CDKTN_DIR must name the folder where cdktn is installed');
const original = Module._resolveFilename;
let resolving = false;

Module._resolveFilename = function resolveToCdktn(request, parent, ...rest) {
  let mapped;
  if (request === 'cdktf' || request.startsWith('cdktf/')) mapped = `cdktn${request.slice('cdktf'.length)}`;
  else if (request.startsWith('@cdktf/provider-aws'))
    mapped = `@cdktn/provider-aws${request.slice('@cdktf/provider-aws'.length)}`;
  else if (request === 'constructs' || request.startsWith('constructs/')) mapped = request;
  if (mapped === undefined || resolving) return original.call(this, request, parent, ...rest);
  resolving = true;
  try {
    return require.resolve(mapped, { paths: [root] });
  } finally {
    resolving = false;
  }
};
