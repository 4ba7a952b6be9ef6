import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { config } from '../../amibake.config';
import { resolveDeployment } from '../../deployment/model';
import { artifactsBucketName } from '../../deployment/names';
import { LOCAL_ACCOUNT, localFunctions } from '../../local/local-aws';
import { PROJECT_ROOT } from '../../scripts/bundle-functions';
import { deterministicZip } from '../../scripts/deterministic-zip';
import { resourcesBy, synthStack } from '../support/stack';

describe('the local run and the stack', () => {
  const deployed = resourcesBy(synthStack(config).tf, 'aws_lambda_function', 'function_name');
  const deployment = resolveDeployment(config, {
    projectRoot: PROJECT_ROOT,
    bucket: artifactsBucketName(config.namePrefix, LOCAL_ACCOUNT, config.region),
  });
  const local = localFunctions(deployment);

  it('run the same three functions', () => {
    expect(local.map((f) => f.name).sort()).to.deep.equal(Object.keys(deployed).sort());
  });

  it('run the same bundle: the local file is exactly what the deployed zip holds', () => {
    for (const fn of local) {
      const zip = deterministicZip([{ name: 'index.js', content: readFileSync(fn.bundle) }]);
      expect(createHash('sha256').update(zip).digest('base64')).to.equal(deployed[fn.name]?.source_code_hash);
    }
  });

  it('give each function the same environment and timeout', () => {
    for (const fn of local) {
      const stack = deployed[fn.name] ?? {};
      const { variables } = stack.environment as { variables: Record<string, string> };
      expect(Object.keys(fn.environment).sort()).to.deep.equal(Object.keys(variables).sort());
      for (const [key, value] of Object.entries(variables)) {
        // Names the account decides at deploy time are Terraform references in the stack.
        if (!value.includes('${')) expect(fn.environment[key], key).to.equal(value);
      }
      expect(fn.timeoutSeconds).to.equal(stack.timeout);
    }
  });
});
