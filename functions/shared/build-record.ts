import type { Recipe } from './recipe';

/**
 * A build's life: pending (recorded, launch requested) -> building (instance up, rule armed)
 * -> imaging (the image exists but is not available yet) -> testing (an instance launched from
 * the new image runs the recipe's tests) -> imaging again while copies settle -> succeeded |
 * failed | timed_out.
 */
export const IN_FLIGHT_STATUSES = ['pending', 'building', 'imaging', 'testing'] as const;
const FINAL_STATUSES = ['succeeded', 'failed', 'timed_out'] as const;
type InFlightStatus = (typeof IN_FLIGHT_STATUSES)[number];
export type FinalStatus = (typeof FINAL_STATUSES)[number];
export type BuildStatus = InFlightStatus | FinalStatus;

export interface BuildRecord {
  buildId: string;
  recipeName: string;
  recipeHash: string;
  /** The recipe as it was when the build started: later edits do not change a running build. */
  recipe: Recipe;
  baseImageId: string;
  status: BuildStatus;
  createdAt: string;
  updatedAt: string;
  baseImageName?: string;
  /** The script the build runs, pinned when the build started. */
  script?: ScriptPin;
  instanceId?: string;
  ruleName?: string;
  imageId?: string;
  imageName?: string;
  /** The image in every region it was distributed to (home region included). */
  copies?: Record<string, string>;
  /** s3://bucket/key of the instance's log. */
  logLocation?: string;
  /** When completion first found a reported success not attested on the instance's console. */
  attestationAwaitedSince?: string;
  /** What each stage's instance attested of the files it uploaded, once its report was believed. */
  attested?: { build?: AttestedFiles; test?: AttestedFiles };
  /** The test stage, from the moment the image is available. */
  test?: TestStage;
  reason?: string;
  errorCode?: string;
  finishedAt?: string;
}

/**
 * The SHA-256 of the log and the package manifest that an instance uploaded, from the status
 * object its console attested: `logs`, `diff` and the notification check what they read
 * against them, since anyone who may write the bucket could have rewritten the files since.
 */
export interface AttestedFiles {
  logSha256?: string;
  packagesSha256?: string;
  /**
   * Set when the account allowed the EC2 serial console as the report was believed (`unknown`:
   * the setting could not be read): whoever reached the instance's login prompt there could have
   * typed the attestation.
   */
  serialConsole?: 'enabled' | 'unknown';
}

/**
 * The customisation script a build runs: the S3 version the trigger read (when the bucket keeps
 * versions) and the SHA-256 of its content. The launch reads that version and checks the digest,
 * and so does the instance of what it fetches: the script that runs is the script that was hashed.
 */
export interface ScriptPin {
  sha256: string;
  versionId?: string;
}

/**
 * What the tests of a build found: `boot-only` is the check of a recipe without a test script
 * (the image boots and runs user data).
 */
const TEST_OUTCOMES = ['passed', 'boot-only', 'failed', 'timed_out'] as const;
type TestOutcome = (typeof TEST_OUTCOMES)[number];

export interface TestStage {
  /** When the image became available and the test launch was requested. */
  requestedAt: string;
  instanceId?: string;
  /** s3://bucket/key of the test instance's log. */
  logLocation?: string;
  /** The SHA-256 of the test script the instance ran (absent for the boot check). */
  scriptSha256?: string;
  /** Set when the stage ends. */
  outcome?: TestOutcome;
  /** When a test that failed or timed out is examined no longer: its image is then removed. */
  examineUntil?: string;
  /** When completion first found a reported pass not attested on the test instance's console. */
  attestationAwaitedSince?: string;
}

/** Whether the tests let the image be published. */
export function testsPassed(stage: TestStage | undefined): boolean {
  return stage?.outcome === 'passed' || stage?.outcome === 'boot-only';
}

/**
 * Boot and report time a build instance has beyond its recipe's timeout: the sweep stops one
 * still running after that, and the instance's pre-signed report URLs expire with it.
 */
export const BOOT_MARGIN_MINUTES = 15;

export function isFinal(status: BuildStatus): status is FinalStatus {
  return (FINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * Whether a recipe is due, from the status of the latest build of the same
 * (recipe, base image, content hash): due unless that build succeeded or is in flight.
 */
export function isDue(existing: BuildStatus | undefined): boolean {
  return existing === undefined || existing === 'failed' || existing === 'timed_out';
}

/** Build ids carry the recipe and the start time, so that logs and rule names read well. */
export function newBuildId(recipeName: string, now: Date, random: string): string {
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${recipeName}-${stamp}-${random}`;
}

export const BUILD_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?-\d{14}-[0-9a-f]{6}$/;

/** The instances of a build: the build instance, then the test instance launched from its image. */
export type Stage = 'build' | 'test';

/** Where a build's instance (or its test instance) reports: its log and its exit status. */
export function buildReportKeys(
  logPrefix: string,
  buildId: string,
  stage: Stage = 'build',
): { log: string; status: string; userData: string; packages: string } {
  const base = `${logPrefix}${buildId}/${stage === 'test' ? 'test/' : ''}`;
  const log = stage === 'test' ? 'test.log' : 'build.log';
  return {
    log: `${base}${log}`,
    status: `${base}status.json`,
    userData: `${base}user-data.sh`,
    packages: `${base}packages.txt`,
  };
}

/** What recording a build's start answered: recorded, or refused by the lock or the in-flight limit. */
export type StartOutcome = 'started' | 'already-started' | 'limit-reached';
