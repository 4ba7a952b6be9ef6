import { DEFAULT_AMI_NAME_TEMPLATE } from './ami-name';
import { AmiBakeError } from './errors';

/** How a recipe finds its newest base image. */
export type BaseSelector =
  | {
      kind: 'describe';
      owners: string[];
      name: string;
      architecture: Architecture;
      filters: { name: string; values: string[] }[];
      includeDeprecated: boolean;
    }
  | { kind: 'ssm'; parameter: string };

export const ARCHITECTURES = ['x86_64', 'arm64', 'i386', 'x86_64_mac', 'arm64_mac'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];
export const ROOT_VOLUME_TYPES = ['gp3', 'gp2', 'io1', 'io2', 'standard'] as const;
export type RootVolumeType = (typeof ROOT_VOLUME_TYPES)[number];

/** Where the customisation script lives: a file of the project (synth time) or an S3 object. */
export type ScriptRef = { kind: 'file'; path: string } | { kind: 's3'; bucket: string; key: string };

interface RootVolume {
  sizeGiB?: number;
  type: RootVolumeType;
  kmsKeyId?: string;
}

/** What happens to a recipe's images after a build: not part of its content hash. */
interface Lifecycle {
  /** The newest images kept; older ones are deregistered with their snapshots. */
  keep: number;
  /** The SSM parameter that holds the newest tested image id (data type aws:ec2:image): the published channel. */
  parameter: string;
  /**
   * The SSM parameter that holds the newest image as soon as it is available, before its tests,
   * and the published image again if they fail: the candidate channel.
   */
  candidateParameter: string;
  /** Deprecate each new image this many days after its creation. */
  deprecateAfterDays?: number;
}

/** Where a recipe's images go besides their home region, and who may launch them. */
export interface Distribution {
  /** Copies in other regions, encrypted (with the region's KMS key when given). */
  copies: { region: string; kmsKeyId?: string }[];
  /** Launch permissions on the image and its copies. */
  share: { accounts: string[]; organizations: string[]; organizationalUnits: string[] };
}

/**
 * The test stage: an instance launched from the new image runs the test script under the same
 * wrapper as the build (or only boots and reports, without a script), and the image is
 * published only if it passes. Not part of the content hash: tests do not change the image.
 */
interface TestSettings {
  script?: ScriptRef;
  /** SHA-256 of the test script, set when the stack uploads it. */
  scriptSha256?: string;
  timeoutMinutes: number;
  /** The test instance's type (default: the build's). */
  instanceType?: string;
  /** Days an image whose tests failed is kept for examination before it is removed. */
  keepFailedDays: number;
}

/** A launch template id (anything else a recipe names in consumers.launchTemplates is a name). */
export const isLaunchTemplateId = (template: string) => /^lt-[0-9a-f]{17}$/.test(template);

/**
 * Who uses the published image, updated each time it changes (not part of the content hash):
 * launch templates get a new default version with the image, Auto Scaling groups an instance
 * refresh. A failure is reported in the notification; the build still succeeds.
 */
export interface Consumers {
  /** Launch template ids (`lt-...`) or names, in the home region. */
  launchTemplates: string[];
  /** Auto Scaling group names, in the home region. */
  autoScalingGroups: string[];
  /** The instance refresh's minimum healthy percentage. */
  minHealthyPercentage: number;
}

/**
 * What the wrapper removes from the machine before it is imaged (user_data/wrapper.sh; the
 * README says why each). A recipe may keep some; /var/lib/amibake always goes.
 */
export const HYGIENE_STEPS = [
  'cloud-init',
  'machine-id',
  'ssh-host-keys',
  'dhcp-leases',
  'shell-history',
  'tmp',
  'login-records',
  'journal',
  'random-seed',
] as const;
type HygieneStep = (typeof HYGIENE_STEPS)[number];

/** A validated recipe with every default applied. */
export interface Recipe {
  name: string;
  base: BaseSelector;
  /** The vendor's SNS topic announcing new bases: a notification starts a run of the recipes that track it. */
  releaseTopic?: string;
  script: ScriptRef;
  /** SHA-256 of the script, set when the stack uploads it; otherwise read from S3. */
  scriptSha256?: string;
  instanceType: string;
  subnetId?: string;
  securityGroupIds: string[];
  instanceProfile?: string;
  rootVolume: RootVolume;
  amiName: string;
  description?: string;
  tags: Record<string, string>;
  timeoutMinutes: number;
  /** The hygiene steps the image keeps (absent: none, every step runs). Part of the content hash. */
  hygiene?: { keep: HygieneStep[] };
  test: TestSettings;
  consumers: Consumers;
  lifecycle: Lifecycle;
  distribution: Distribution;
}

export const RECIPE_DEFAULTS = {
  owners: ['amazon'],
  architecture: 'x86_64' as Architecture,
  instanceType: 't3.small',
  /** The default for a described arm64 base: the default runs x86_64 only. */
  arm64InstanceType: 't4g.small',
  rootVolumeType: 'gp3' as RootVolumeType,
  timeoutMinutes: 60,
  amiName: DEFAULT_AMI_NAME_TEMPLATE,
  keep: 3,
  /** Each deployment publishes under its own path: two deployments never share a parameter. */
  parameter: (deployment: string, recipe: string) => `/${deployment}/${recipe}/latest`,
  candidateParameter: (deployment: string, recipe: string) => `/${deployment}/${recipe}/candidate`,
  testTimeoutMinutes: 20,
  keepFailedDays: 7,
  minHealthyPercentage: 90,
};
export const TIMEOUT_RANGE = { min: 5, max: 720 };
export const KEEP_FAILED_DAYS_RANGE = { min: 1, max: 90 };

export function scriptUri(script: ScriptRef): string {
  return script.kind === 'file' ? script.path : `s3://${script.bucket}/${script.key}`;
}

/** The S3 object of a run-time recipe's script (the stack has uploaded project files). */
export function scriptObject(script: ScriptRef): { bucket: string; key: string } {
  if (script.kind === 's3') return script;
  throw new AmiBakeError(
    `script ${script.path} is a project file: the stack uploads it and stores its s3:// URL`,
    {
      code: 'InvalidInput',
    },
  );
}

export function parseScriptRef(value: string): ScriptRef | undefined {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(value);
  if (s3?.[1] && s3[2]) return { kind: 's3', bucket: s3[1], key: s3[2] };
  if (/^user_data\/[A-Za-z0-9._/-]+$/.test(value) && !value.includes('..'))
    return { kind: 'file', path: value };
  return undefined;
}

export interface RecipeOptions {
  /** At run time scripts must already be in S3; the stack resolves files at synth time. */
  scripts: 'file-or-s3' | 's3';
  /** The deployment's prefix, which names the recipe's default parameter. */
  deployment: string;
}
