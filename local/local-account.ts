import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Runtime, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import type { AmiBakeConfig } from '../deployment/config';
import { type Deployment, resolveDeployment } from '../deployment/model';
import { PROJECT_ROOT } from '../scripts/bundle-functions';
import { nodeBinary } from '../scripts/node-toolchain.cjs';
import { type ApplyReport, type PlannedChange, StackDeployment } from './deploy/stack-deployment';
import { synthStack } from './deploy/stack-synth';
import { type Credentials, OPERATOR } from './emulator/callers';
import { type Emulator, startEmulator } from './emulator/emulator';
import { EventBridge } from './events/event-bridge';
import { forwardingRoleJudge } from './events/forwarding-role';
import { runtimeBinaries } from './lambda/node-runtimes';

/** Each function runs on its runtime's Node major: the release package.json pins, fetched once. */
export function projectRuntimes() {
  return runtimeBinaries({ binaryFor: (major) => nodeBinary(major) });
}

/** A stack deployed into the emulated account with Terraform, and what the harness knows of it. */
export interface LocalStack {
  config: AmiBakeConfig;
  /** The configuration resolved as the stack resolves it (names, recipes): for the harness's reading. */
  deployment: Deployment;
  /** The stack's Terraform outputs. */
  outputs: Record<string, string>;
  terraform: StackDeployment;
  /** What the last apply did (nothing when the stack was already deployed). */
  apply: ApplyReport;
}

export interface DeployOptions {
  /** Where recipes' `user_data/` paths are read from (default: this project). */
  projectRoot?: string;
  /** Where the stack is synthesized (default: a directory of the emulator's). */
  outdir?: string;
  /** What Terraform signs with, the first time a prefix is deployed (default: the operator's). */
  credentials?: Credentials;
  /** Hears how far Terraform's apply is, every few seconds. */
  progress?: (line: string) => void;
}

/**
 * The emulated account and the stacks deployed into it: `deploy(config)` synthesizes the stack
 * of a configuration and applies it with Terraform (nothing is created by hand that the stack
 * declares); `events` plays EventBridge for the deployed rules and schedules.
 */
export class LocalAccount {
  readonly events: EventBridge;
  private readonly stacks = new Map<string, StackDeployment>();
  private synths = 0;

  private constructor(readonly emulator: Emulator) {
    this.events = new EventBridge(
      (region) => emulator.clients.inRegion(region).events,
      emulator.lambda,
      emulator.functions,
      emulator.region,
      forwardingRoleJudge(emulator.clients.iam, emulator.authorizer),
    );
  }

  static async start(region = 'us-east-1'): Promise<LocalAccount> {
    return new LocalAccount(await startEmulator({ region, runtimes: projectRuntimes() }));
  }

  get region(): string {
    return this.emulator.region;
  }

  async deploy(config: AmiBakeConfig, options: DeployOptions = {}): Promise<LocalStack> {
    const { local, projectRoot, terraform } = this.staged(config, options);
    const apply = await terraform.apply(options.progress ? { progress: options.progress } : {});
    if (apply.applied) {
      await this.setDeclaredRuntimes(terraform);
      this.emulator.functions.forget();
      this.emulator.authorizer.forget();
    }
    this.emulator.functions.addSource({ stackDir: terraform.stackDir, statePath: terraform.statePath });
    const outputs = await terraform.outputs();
    const deployment = resolveDeployment(local, { projectRoot, bucket: outputs.artifacts_bucket ?? '' });
    return { config: local, deployment, outputs, terraform, apply };
  }

  /**
   * The runtimes the override file planned as another (the provider could not express them) are
   * set to what the stack declares, so that the functions run here as they would in AWS.
   */
  private async setDeclaredRuntimes(terraform: StackDeployment): Promise<void> {
    for (const o of terraform.overrides) {
      await this.emulator.clients.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: o.functionName,
          Runtime: o.declared as Runtime,
        }),
      );
    }
  }

  /** Terraform's plan of a configuration against what the account holds now; nothing is applied. */
  plan(config: AmiBakeConfig, options: DeployOptions = {}): Promise<PlannedChange[]> {
    return this.staged(config, options).terraform.plan();
  }

  /** The same plan as Terraform prints it for a reviewer. */
  planText(config: AmiBakeConfig, options: DeployOptions = {}): Promise<string> {
    return this.staged(config, options).terraform.planText();
  }

  private staged(config: AmiBakeConfig, options: DeployOptions) {
    const local = { ...config, region: this.emulator.region };
    const projectRoot = options.projectRoot ?? PROJECT_ROOT;
    const outdir = options.outdir ?? join(this.emulator.workdir, 'cdktf.out', String(++this.synths));
    const synthesized = synthStack(local, outdir, projectRoot);
    const terraform = this.stackFor(local.namePrefix, options.credentials);
    terraform.stage(synthesized);
    return { local, projectRoot, terraform };
  }

  /** The Terraform deployment of a name prefix (one state per prefix, as two real deployments have). */
  stackFor(prefix: string, credentials: Credentials = OPERATOR): StackDeployment {
    let stack = this.stacks.get(prefix);
    if (!stack) {
      const workdir = join(this.emulator.workdir, 'terraform', prefix);
      mkdirSync(workdir, { recursive: true });
      stack = new StackDeployment(workdir, { endpoint: this.emulator.endpoint, operator: credentials });
      this.stacks.set(prefix, stack);
    }
    return stack;
  }

  stop(): Promise<void> {
    return this.emulator.stop();
  }
}
