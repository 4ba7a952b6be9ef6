import type { RecipeInput } from '../functions/shared/recipe';
import type { RecipeStoreKind } from './names';

/**
 * A recipe as written in the configuration (see the README for every field): a misspelt or
 * unknown field fails the type check.
 */
export type RecipeConfig = RecipeInput;

/** Where Terraform keeps its state. */
export type BackendConfig =
  | { kind: 'local'; path?: string }
  | { kind: 's3'; bucket: string; key: string; region: string; dynamodbTable?: string; encrypt?: boolean };

/** The one typed configuration the stack and the local run are built from. */
export interface AmiBakeConfig {
  /** Prefix of every resource name; build rules are named `<prefix>.<build id>`. 2-16 of a-z 0-9 -. */
  namePrefix: string;
  region: string;
  /** EventBridge schedule expression of the trigger: rate(...) or cron(...). */
  schedule: string;
  recipeStore: RecipeStoreKind;
  /** At most this many builds in flight at once. */
  maxInFlight: number;
  network: { subnetId?: string; securityGroupIds?: string[] };
  /** Tags on every resource the stack creates (provider default tags). */
  tags: Record<string, string>;
  /** Days build logs are kept in the bucket, and function logs in CloudWatch. */
  logRetentionDays: number;
  architecture: 'arm64' | 'x86_64';
  /**
   * The functions' application log level (default info): Lambda's log-level control, with the
   * JSON log format. Lambda drops the lines below it before they reach CloudWatch.
   */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  backend: BackendConfig;
  /**
   * Keep the bucket and the builds table when the stack is destroyed (default true). Set false,
   * deploy, then destroy, to remove everything including build logs and records.
   */
  retainData?: boolean;
  /** Where finished builds are announced: the stack's topic `<prefix>-builds`, or an existing one. */
  notifications?: { topicArn?: string };
  /**
   * Who may write the recipes and scripts in the stack's bucket (`recipes/`, `scripts/`): IAM
   * principal ARNs (`*` allowed), such as the CI role that deploys and the platform team's role.
   * Whoever writes a script gets root on every build instance. The bucket policy denies everyone
   * else, the deploying principal excepted; unset, IAM alone decides.
   */
  authors?: string[];
  /** Managed policies for the build instance's role, for scripts that call AWS (default none). */
  buildInstance?: { managedPolicyArns?: string[] };
  recipes: RecipeConfig[];
}
