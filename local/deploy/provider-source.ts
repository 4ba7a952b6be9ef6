import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `terraform init` gets the AWS provider for the emulator deployment. Unset, Terraform
 * behaves as it normally does (the registry, or the CLI configuration's mirrors); set, it names
 * a filesystem mirror (`<dir>/registry.terraform.io/hashicorp/aws/<version>/<os>_<arch>/`),
 * passed as `terraform init -plugin-dir=<dir>`.
 */
export const PLUGIN_DIR_SETTING = 'AMIBAKE_TERRAFORM_PLUGIN_DIR';

const AWS_PROVIDER = join('registry.terraform.io', 'hashicorp', 'aws');

/**
 * Mirrors looked for when Terraform's normal sources fail: Terraform's implied local mirror
 * directories, then a system-wide mirror location common on build machines.
 */
export function candidateMirrors(home = homedir()): string[] {
  return [
    join(home, '.terraform.d', 'plugins'),
    join(home, '.local', 'share', 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
    '/opt/tf-plugins',
  ];
}

/** The hashicorp/aws versions a mirror holds, newest first. */
export function mirroredVersions(pluginDir: string): string[] {
  const dir = join(pluginDir, AWS_PROVIDER);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
    .sort(compareVersions)
    .reverse();
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The oldest provider the stack is known to deploy with (checked by `terraform validate` in the tests). */
const MINIMUM_PROVIDER = '5.100.0';

export type ProviderChoice =
  | { kind: 'pinned'; version: string }
  | { kind: 'relaxed'; pinned: string; version: string; mirror: string }
  | { kind: 'missing'; pinned: string; mirror: string; found: string[] };

/**
 * Keeps the stack's pin when the mirror has it; otherwise relaxes the emulator deployment (never
 * the stack) to the newest mirrored version that is at least MINIMUM_PROVIDER.
 */
export function chooseProvider(pinned: string, mirror: string, available: readonly string[]): ProviderChoice {
  if (available.includes(pinned)) return { kind: 'pinned', version: pinned };
  const usable = available.find((v) => compareVersions(v, MINIMUM_PROVIDER) >= 0);
  if (!usable) return { kind: 'missing', pinned, mirror, found: [...available] };
  return { kind: 'relaxed', pinned, version: usable, mirror };
}

/** The provider version the synthesized stack pins (`terraform.required_providers.aws.version`). */
export function pinnedProvider(stack: { terraform?: unknown }): string {
  const terraform = (stack.terraform ?? {}) as { required_providers?: { aws?: { version?: string } } };
  const version = terraform.required_providers?.aws?.version;
  if (!version) throw new Error('the synthesized stack pins no hashicorp/aws version');
  return version;
}
