import { expect } from 'chai';
import {
  EMULATED_SERVICES,
  emulatorOverride,
  runtimeOverrides,
} from '../../../local/deploy/emulator-override';
import { chooseProvider, compareVersions, pinnedProvider } from '../../../local/deploy/provider-source';
import { terraformVersionProblem } from '../../../local/deploy/stack-deployment';

describe('the emulator deployment of the stack', () => {
  const input = {
    endpoint: 'http://127.0.0.1:4566',
    accessKeyId: 'testing',
    secretAccessKey: 'testing',
    statePath: '/tmp/x/terraform.tfstate',
  };

  it('points every service the stack and the functions use at the emulator, with a local state', () => {
    const override = emulatorOverride(input) as {
      terraform: { backend: unknown; required_providers?: unknown };
      provider: { aws: { endpoints: Record<string, string>[]; skip_credentials_validation: boolean }[] };
    };
    const [aws] = override.provider.aws;
    expect(Object.keys(aws?.endpoints[0] ?? {}).sort()).to.deep.equal([...EMULATED_SERVICES].sort());
    expect(Object.values(aws?.endpoints[0] ?? {})).to.satisfy((v: string[]) =>
      v.every((e) => e === input.endpoint),
    );
    expect(aws?.skip_credentials_validation).to.equal(true);
    expect(override.terraform.backend).to.deep.equal({ local: { path: input.statePath } });
    expect(override.terraform.required_providers, 'the pin is kept unless relaxed').to.equal(undefined);
  });

  it('relaxes the provider pin only in the override, to the version given', () => {
    const override = emulatorOverride({ ...input, providerVersion: '5.100.0' }) as {
      terraform: { required_providers: unknown };
    };
    expect(override.terraform.required_providers).to.deep.equal({
      aws: { source: 'aws', version: '5.100.0' },
    });
  });

  it('plans a runtime the relaxed provider cannot express as one it can, and names what it replaced', () => {
    const stack = {
      resource: {
        aws_lambda_function: {
          trigger: { function_name: 'amibake_ami_build_trigger', runtime: 'nodejs24.x' },
          older: { function_name: 'amibake_other', runtime: 'nodejs22.x' },
        },
      },
    };
    const overrides = runtimeOverrides(stack, '5.100.0');
    expect(overrides).to.deep.equal([
      {
        resource: 'aws_lambda_function.trigger',
        functionName: 'amibake_ami_build_trigger',
        attribute: 'runtime',
        declared: 'nodejs24.x',
        planned: 'nodejs22.x',
        reason:
          'hashicorp/aws 5.100.0 accepts nodejs24.x from 6.19.0 on: planned as nodejs22.x, then set to nodejs24.x in the emulated account',
      },
    ]);
    expect(runtimeOverrides(stack, '6.19.0'), 'a provider that knows it').to.deep.equal([]);
    expect(runtimeOverrides(stack, undefined), "the stack's own pin").to.deep.equal([]);
    const override = emulatorOverride({ ...input, providerVersion: '5.100.0', runtimes: overrides }) as {
      resource: { aws_lambda_function: Record<string, unknown> };
    };
    expect(override.resource.aws_lambda_function).to.deep.equal({
      trigger: { runtime: 'nodejs22.x', lifecycle: { ignore_changes: ['runtime'] } },
    });
    expect(emulatorOverride(input)).to.not.have.property('resource');
  });

  it("keeps the stack's pin when the mirror has it, else relaxes to the newest usable version", () => {
    expect(chooseProvider('6.25.0', '/m', ['6.25.0', '5.100.0'])).to.deep.equal({
      kind: 'pinned',
      version: '6.25.0',
    });
    expect(chooseProvider('6.25.0', '/m', ['5.100.0', '5.99.1'])).to.deep.equal({
      kind: 'relaxed',
      pinned: '6.25.0',
      version: '5.100.0',
      mirror: '/m',
    });
    expect(chooseProvider('6.25.0', '/m', ['5.99.1'])).to.deep.include({
      kind: 'missing',
      found: ['5.99.1'],
    });
  });

  it('compares provider versions numerically', () => {
    expect(['5.9.0', '5.100.0', '6.0.0', '5.10.1'].sort(compareVersions)).to.deep.equal([
      '5.9.0',
      '5.10.1',
      '5.100.0',
      '6.0.0',
    ]);
  });

  it('reads the pin of a synthesized stack, and refuses a stack without one', () => {
    expect(pinnedProvider({ terraform: { required_providers: { aws: { version: '6.25.0' } } } })).to.equal(
      '6.25.0',
    );
    expect(() => pinnedProvider({ terraform: {} })).to.throw(/pins no hashicorp\/aws version/);
  });
});

describe('the Terraform the local deployment needs', () => {
  it('takes 1.5 or newer, and names the version found and where to get one otherwise', () => {
    expect(['1.5.0', '1.11.4', '2.0.0'].map(terraformVersionProblem)).to.deep.equal([
      undefined,
      undefined,
      undefined,
    ]);
    expect(terraformVersionProblem('1.4.7')).to.equal(
      'Terraform 1.5.0 or newer is needed, found 1.4.7: install it from https://developer.hashicorp.com/terraform/install (or your package manager) and put it on the PATH',
    );
    expect(terraformVersionProblem(undefined)).to.match(
      /^Terraform 1\.5\.0 or newer is needed, found an unknown version/,
    );
  });
});
