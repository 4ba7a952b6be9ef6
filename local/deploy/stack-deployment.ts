import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AmiBakeError } from '../../functions/shared/errors';
import type { Credentials } from '../emulator/callers';
import {
  emulatorOverride,
  OVERRIDE_FILE,
  providerAliases,
  type RuntimeOverride,
  runtimeOverrides,
} from './emulator-override';
import {
  candidateMirrors,
  chooseProvider,
  compareVersions,
  mirroredVersions,
  PLUGIN_DIR_SETTING,
  type ProviderChoice,
  pinnedProvider,
} from './provider-source';
import { terraform } from './terraform';

export interface ApplyReport {
  /** False when the staged stack was already applied: nothing ran. */
  applied: boolean;
  created: number;
  changed: number;
  destroyed: number;
  seconds: number;
}

/** What Terraform's plan would do to one resource. */
export interface PlannedChange {
  address: string;
  type: string;
  actions: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/**
 * One stack deployed into the emulator with Terraform. The synthesized stack directory is copied
 * into `workdir/stack` with a generated override file beside it (endpoints, credentials, local
 * state, and the provider version when the stack's pin is not available), then `terraform init`
 * (once) and `terraform apply`. An apply of the very stack last applied is skipped.
 */
export class StackDeployment {
  readonly stackDir: string;
  readonly statePath: string;
  provider: ProviderChoice | { kind: 'default'; version: string } | undefined;
  /** What the override file replaces of the stack because the provider cannot express it. */
  overrides: RuntimeOverride[] = [];
  private appliedDigest: string | undefined;

  constructor(
    readonly workdir: string,
    private readonly emulator: { endpoint: string; operator: Credentials },
  ) {
    this.stackDir = join(workdir, 'stack');
    this.statePath = join(workdir, 'terraform.tfstate');
  }

  /** Copies a synthesized stack into the working directory, with the override file. */
  stage(synthesizedDir: string): void {
    mkdirSync(this.stackDir, { recursive: true });
    rmSync(join(this.stackDir, 'assets'), { recursive: true, force: true });
    cpSync(join(synthesizedDir, 'cdk.tf.json'), join(this.stackDir, 'cdk.tf.json'));
    if (existsSync(join(synthesizedDir, 'assets')))
      cpSync(join(synthesizedDir, 'assets'), join(this.stackDir, 'assets'), { recursive: true });
  }

  /** Applies the staged stack; `progress` hears how far the apply is every few seconds. */
  async apply(options: { progress?: (line: string) => void } = {}): Promise<ApplyReport> {
    await this.init();
    const digest = this.digest();
    if (digest === this.appliedDigest)
      return { applied: false, created: 0, changed: 0, destroyed: 0, seconds: 0 };
    // After the first apply only Terraform changes the stack's resources in the emulator: the
    // state is the account's truth, and refreshing it (a minute of provider waits) is skipped.
    const refresh = this.appliedDigest === undefined ? [] : ['-refresh=false'];
    const progress = options.progress ? applyProgress(options.progress) : undefined;
    const run = await terraform(
      this.stackDir,
      ['apply', '-auto-approve', '-no-color', '-parallelism=20', ...refresh],
      progress ? { onLine: progress.hear } : {},
    );
    progress?.stop();
    this.appliedDigest = digest;
    const counts = /Resources: (\d+) added, (\d+) changed, (\d+) destroyed/.exec(run.stdout);
    return {
      applied: true,
      created: Number(counts?.[1] ?? 0),
      changed: Number(counts?.[2] ?? 0),
      destroyed: Number(counts?.[3] ?? 0),
      seconds: run.seconds,
    };
  }

  /** The ARN of every resource the state holds that has one (an event target's names its target: left out). */
  async resourceArns(): Promise<string[]> {
    const shown = await terraform(this.stackDir, ['show', '-json', '-no-color']);
    type Module = {
      resources?: { mode: string; type: string; values?: { arn?: unknown } }[];
      child_modules?: Module[];
    };
    const state = JSON.parse(shown.stdout) as { values?: { root_module?: Module } };
    const walk = (module: Module | undefined): string[] => [
      ...(module?.resources ?? []).flatMap((r) =>
        r.mode === 'managed' && r.type !== 'aws_cloudwatch_event_target' && typeof r.values?.arn === 'string'
          ? [r.values.arn]
          : [],
      ),
      ...(module?.child_modules ?? []).flatMap(walk),
    ];
    return [...new Set(walk(state.values?.root_module))].sort();
  }

  /** Destroys what the stack's state holds (`terraform destroy`); the next apply starts afresh. */
  async destroy(): Promise<{ destroyed: number; seconds: number }> {
    await this.init();
    const run = await terraform(this.stackDir, ['destroy', '-auto-approve', '-no-color', '-parallelism=20']);
    this.appliedDigest = undefined;
    const destroyed = /Resources: (\d+) destroyed/.exec(run.stdout);
    return { destroyed: Number(destroyed?.[1] ?? 0), seconds: run.seconds };
  }

  /**
   * The real plan of the staged stack against the emulated account, resource by resource,
   * signed with the deployment's credentials or with `credentials` (a reviewer's).
   */
  async plan(options: { credentials?: Credentials } = {}): Promise<PlannedChange[]> {
    await this.init(options.credentials);
    await terraform(this.stackDir, ['plan', '-no-color', '-out=amibake.tfplan', '-detailed-exitcode'], {
      accept: [2],
    });
    const shown = await terraform(this.stackDir, ['show', '-json', 'amibake.tfplan']);
    const plan = JSON.parse(shown.stdout) as {
      resource_changes?: {
        address: string;
        type: string;
        change: { actions: string[]; before: PlannedChange['before']; after: PlannedChange['after'] };
      }[];
    };
    return (plan.resource_changes ?? [])
      .filter((c) => !(c.change.actions.length === 1 && c.change.actions[0] === 'no-op'))
      .map((c) => ({ address: c.address, type: c.type, actions: c.change.actions, ...pick(c.change) }));
  }

  /** The plan as Terraform prints it, for people to review. */
  async planText(options: { progress?: (line: string) => void } = {}): Promise<string> {
    await this.init();
    const progress = options.progress ? refreshProgress(options.progress, this.stateInstances()) : undefined;
    const run = await terraform(this.stackDir, ['plan', '-no-color', '-detailed-exitcode'], {
      accept: [2],
      ...(progress ? { onLine: progress.hear } : {}),
    });
    progress?.stop();
    return run.stdout;
  }

  /** How many resource instances the state holds: what a plan's refresh reads. */
  private stateInstances(): number | undefined {
    if (!existsSync(this.statePath)) return undefined;
    const state = JSON.parse(readFileSync(this.statePath, 'utf8')) as {
      resources?: { mode: string; instances?: unknown[] }[];
    };
    return (state.resources ?? [])
      .filter((r) => r.mode === 'managed')
      .reduce((sum, r) => sum + (r.instances?.length ?? 0), 0);
  }

  /** The stack's outputs, from the state. */
  async outputs(): Promise<Record<string, string>> {
    const run = await terraform(this.stackDir, ['output', '-json']);
    const outputs = JSON.parse(run.stdout) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, String(v.value)]));
  }

  /** `terraform validate` of the staged stack with the provider the emulator deployment uses. */
  async validate(): Promise<void> {
    await this.init();
    await terraform(this.stackDir, ['validate', '-no-color']);
  }

  private digest(): string {
    const hash = createHash('sha256');
    hash.update(readFileSync(join(this.stackDir, 'cdk.tf.json')));
    hash.update(readFileSync(join(this.stackDir, OVERRIDE_FILE)));
    return hash.digest('hex');
  }

  /** Chooses the provider source, writes the override, and runs `terraform init` the first time. */
  private async init(credentials = this.emulator.operator): Promise<void> {
    const stack = JSON.parse(readFileSync(join(this.stackDir, 'cdk.tf.json'), 'utf-8')) as {
      terraform?: unknown;
    };
    const pinned = pinnedProvider(stack);
    if (this.provider === undefined) {
      this.provider = await this.initProvider(pinned);
    }
    this.writeOverride(this.provider.kind === 'relaxed' ? this.provider.version : undefined, credentials);
  }

  private async initProvider(pinned: string): Promise<NonNullable<StackDeployment['provider']>> {
    const version = JSON.parse((await terraform(this.stackDir, ['version', '-json'])).stdout) as {
      terraform_version?: string;
    };
    const problem = terraformVersionProblem(version.terraform_version);
    if (problem) throw new AmiBakeError(problem, { code: 'TerraformTooOld' });
    const setting = process.env[PLUGIN_DIR_SETTING];
    if (setting) return this.initFromMirror(pinned, setting);
    this.writeOverride(undefined);
    try {
      await terraform(this.stackDir, ['init', '-no-color', '-reconfigure']);
      return { kind: 'default', version: pinned };
    } catch (error) {
      const mirror = candidateMirrors().find((dir) => mirroredVersions(dir).length > 0);
      if (!mirror) {
        throw new AmiBakeError(
          `terraform init could not get hashicorp/aws ${pinned} (no registry access?), and no provider mirror was found in ${candidateMirrors().join(', ')}: ` +
            `set ${PLUGIN_DIR_SETTING} to a filesystem mirror holding hashicorp/aws (for example one made with \`terraform providers mirror\`), or give Terraform registry access`,
          { code: 'TerraformProviderMissing', cause: error },
        );
      }
      return this.initFromMirror(pinned, mirror);
    }
  }

  private async initFromMirror(pinned: string, mirror: string): Promise<ProviderChoice> {
    const choice = chooseProvider(pinned, mirror, mirroredVersions(mirror));
    if (choice.kind === 'missing') {
      throw new AmiBakeError(
        `the provider mirror ${mirror} holds no usable hashicorp/aws (found ${choice.found.join(', ') || 'none'}; the stack pins ${pinned}, the emulator deployment needs at least 5.100.0): ` +
          `add one with \`terraform providers mirror ${mirror}\`, or point ${PLUGIN_DIR_SETTING} at another mirror`,
        { code: 'TerraformProviderMissing' },
      );
    }
    this.writeOverride(choice.kind === 'relaxed' ? choice.version : undefined);
    await terraform(this.stackDir, ['init', '-no-color', '-reconfigure', `-plugin-dir=${mirror}`]);
    return choice;
  }

  private writeOverride(providerVersion: string | undefined, credentials = this.emulator.operator): void {
    const stack = JSON.parse(readFileSync(join(this.stackDir, 'cdk.tf.json'), 'utf-8'));
    this.overrides = runtimeOverrides(stack, providerVersion);
    const override = emulatorOverride({
      aliases: providerAliases(stack),
      runtimes: this.overrides,
      endpoint: this.emulator.endpoint,
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      statePath: this.statePath,
      providerVersion,
    });
    writeFileSync(join(this.stackDir, OVERRIDE_FILE), `${JSON.stringify(override, null, 2)}\n`);
  }
}

/** Every `everyMs`, how many of the planned resource changes Terraform has completed. */
export function applyProgress(
  say: (line: string) => void,
  everyMs = 5000,
  now: () => number = Date.now,
): { hear: (line: string) => void; stop: () => void } {
  let planned: number | undefined;
  let done = 0;
  const stop = every(everyMs, now, (seconds) => {
    const of = planned === undefined ? '' : ` of ${planned}`;
    say(`terraform apply: ${done}${of} resource changes done (${seconds} s)`);
  });
  return {
    hear: (line) => {
      const plan = /^Plan: (\d+) to add, (\d+) to change, (\d+) to destroy/.exec(line);
      if (plan) planned = Number(plan[1]) + Number(plan[2]) + Number(plan[3]);
      else if (/: (?:Creation|Modifications|Destruction) complete after /.test(line)) done += 1;
    },
    stop,
  };
}

/**
 * Every `everyMs`, how many of the state's resources a plan has refreshed (`total`, when the state
 * is known), then that it is comparing them with the configuration.
 */
export function refreshProgress(
  say: (line: string) => void,
  total: number | undefined,
  everyMs = 5000,
  now: () => number = Date.now,
): { hear: (line: string) => void; stop: () => void } {
  let refreshed = 0;
  const stop = every(everyMs, now, (seconds) => {
    const of = total === undefined ? '' : ` of ${total}`;
    const comparing = total !== undefined && refreshed >= total ? ', comparing with the configuration' : '';
    say(`terraform plan: ${refreshed}${of} resources refreshed${comparing} (${seconds} s)`);
  });
  return {
    hear: (line) => {
      if (/: Refreshing state\.\.\./.test(line)) refreshed += 1;
    },
    stop,
  };
}

/** Calls `tell` with the whole seconds elapsed every `everyMs` until the returned stop is called. */
function every(everyMs: number, now: () => number, tell: (seconds: number) => void): () => void {
  const started = now();
  const timer = setInterval(() => tell(Math.round((now() - started) / 1000)), everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function pick(change: { before: PlannedChange['before']; after: PlannedChange['after'] }) {
  return { before: change.before, after: change.after };
}

/** A sentence for the output: which provider the emulator deployment uses, and why. */
/** The oldest Terraform the stack is applied with (its `moved` blocks and checks need it). */
const MINIMUM_TERRAFORM = '1.5.0';

/** Why this Terraform cannot deploy the stack, or undefined. */
export function terraformVersionProblem(version: string | undefined): string | undefined {
  if (version && compareVersions(version, MINIMUM_TERRAFORM) >= 0) return undefined;
  return `Terraform ${MINIMUM_TERRAFORM} or newer is needed, found ${version ?? 'an unknown version'}: install it from https://developer.hashicorp.com/terraform/install (or your package manager) and put it on the PATH`;
}

export function describeProvider(choice: StackDeployment['provider']): string {
  if (!choice) return 'provider not chosen yet';
  if (choice.kind === 'relaxed') {
    return `hashicorp/aws ${choice.version} from ${choice.mirror} (the stack pins ${choice.pinned} for real deployments; the emulator deployment relaxes the pin to what the mirror holds)`;
  }
  if (choice.kind === 'pinned') return `hashicorp/aws ${choice.version} (the stack's pin), from a mirror`;
  if (choice.kind === 'default') return `hashicorp/aws ${choice.version} (the stack's pin)`;
  return `no usable hashicorp/aws in ${choice.mirror}`;
}
