import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import type { FunctionSettings } from '../deployment/functions';
import { AmiBakeError } from '../functions/shared/errors';
import type { PolicyRefs } from '../policies/refs';
import { policyProblems } from '../policies/rules';
import { policyJson, type Statement, trustPolicyJson } from '../policies/statement';

export interface BakeFunctionProps {
  functionName: string;
  roleName: string;
  settings: FunctionSettings;
  runtime: string;
  architecture: 'arm64' | 'x86_64';
  /** The deterministic zip of the function's bundle. */
  zipFile: string;
  environment: Record<string, string>;
  logRetentionDays: number;
  /** Lambda's application log level for the function's JSON logs. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  account: string;
}

/**
 * One function of the pipeline with what it needs to run: its log group (created first, with
 * retention), its own role, and the role's policy, which the caller sets once the ARNs it names exist.
 */
export class BakeFunction extends Construct {
  readonly fn: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: BakeFunctionProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, 'role', {
      name: props.roleName,
      assumeRolePolicy: trustPolicyJson('lambda.amazonaws.com', props.account),
    });
    const code = new TerraformAsset(this, 'code', { path: props.zipFile, type: AssetType.FILE });
    this.fn = new LambdaFunction(this, 'function', {
      functionName: props.functionName,
      role: this.role.arn,
      runtime: props.runtime,
      architectures: [props.architecture],
      handler: 'index.handler',
      filename: code.path,
      sourceCodeHash: createHash('sha256').update(readFileSync(props.zipFile)).digest('base64'),
      memorySize: props.settings.memoryMiB,
      timeout: props.settings.timeoutSeconds,
      environment: { variables: props.environment },
      // JSON logs: Lambda drops lines below the application level before CloudWatch, and its
      // own platform lines below WARN; the functions' logger reads the level Lambda sets.
      loggingConfig: {
        logFormat: 'JSON',
        applicationLogLevel: props.logLevel.toUpperCase(),
        systemLogLevel: 'WARN',
        logGroup: this.logGroup.name,
      },
      dependsOn: [this.logGroup],
    });
  }

  /** The role's only policy: the statements of its document in `policies/`, checked against the rules. */
  grant(statements: readonly Statement[], refs: PolicyRefs): IamRolePolicy {
    const problems = policyProblems(this.node.id, statements, refs);
    if (problems.length > 0) throw new AmiBakeError(problems.join('\n'), { code: 'PolicyRule' });
    return new IamRolePolicy(this, 'policy', {
      name: 'amibake',
      role: this.role.id,
      policy: policyJson(statements),
    });
  }
}
