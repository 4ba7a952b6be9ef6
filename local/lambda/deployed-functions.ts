import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionEventInvokeConfigCommand,
  GetPolicyCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { AmiBakeError } from '../../functions/shared/errors';

/** A function as Lambda holds it after `terraform apply`: what the runtime runs, and how. */
export interface DeployedFunction {
  name: string;
  arn: string;
  handler: string;
  runtime: string;
  memoryMiB: number;
  timeoutSeconds: number;
  roleArn: string;
  environment: Record<string, string>;
  /**
   * What Lambda's log-level controls give the runtime (JSON format only): AWS_LAMBDA_LOG_FORMAT
   * and AWS_LAMBDA_LOG_LEVEL, the application level.
   */
  logging: { format: string; applicationLevel: string | undefined };
  /** Lambda's CodeSha256 (base64 SHA-256 of the deployment package). */
  codeSha256: string;
  /** The deployment package Terraform uploaded, checked against codeSha256. */
  packagePath: string;
}

/** Lambda's asynchronous invocation settings (its defaults when the stack declares none). */
export interface AsyncSettings {
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
  onFailure: string | undefined;
}

const LAMBDA_ASYNC_DEFAULTS: AsyncSettings = {
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 6 * 3600,
  onFailure: undefined,
};

/** Where Terraform's state says each function's package is (`filename`, relative to the stack). */
export interface PackageSource {
  stackDir: string;
  statePath: string;
}

/**
 * Reads the deployed functions from the emulated account (GetFunction, the event invoke
 * config, the resource policy) and their packages from the deployments' Terraform state.
 * Answers are kept until `forget()` (called after every apply).
 */
export class DeployedFunctions {
  private readonly sources: PackageSource[] = [];
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly lambda: LambdaClient) {}

  addSource(source: PackageSource): void {
    if (!this.sources.some((s) => s.statePath === source.statePath)) this.sources.push(source);
    this.forget();
  }

  forget(): void {
    this.cache.clear();
  }

  get(name: string): Promise<DeployedFunction> {
    return this.cached(`fn:${name}`, () => this.read(name));
  }

  asyncSettings(name: string): Promise<AsyncSettings> {
    return this.cached(`async:${name}`, async () => {
      try {
        const config = await this.lambda.send(
          new GetFunctionEventInvokeConfigCommand({ FunctionName: name }),
        );
        return {
          maximumRetryAttempts: config.MaximumRetryAttempts ?? LAMBDA_ASYNC_DEFAULTS.maximumRetryAttempts,
          maximumEventAgeSeconds:
            config.MaximumEventAgeInSeconds ?? LAMBDA_ASYNC_DEFAULTS.maximumEventAgeSeconds,
          onFailure: config.DestinationConfig?.OnFailure?.Destination,
        };
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return LAMBDA_ASYNC_DEFAULTS;
        throw error;
      }
    });
  }

  /**
   * The ARN a qualified invocation runs as (`<function arn>:<alias>`). Only aliases of $LATEST
   * are emulated; a missing alias fails as Lambda fails.
   */
  qualifiedArn(name: string, qualifier: string): Promise<string> {
    return this.cached(`alias:${name}:${qualifier}`, async () => {
      const alias = await this.lambda.send(new GetAliasCommand({ FunctionName: name, Name: qualifier }));
      if (alias.FunctionVersion !== '$LATEST') {
        throw new AmiBakeError(
          `alias ${qualifier} of ${name} points at version ${alias.FunctionVersion}: the emulator runs $LATEST only`,
        );
      }
      const fn = await this.get(name);
      return `${fn.arn}:${qualifier}`;
    });
  }

  /** The function's resource policy (who may invoke it), or undefined when it has none. */
  policy(name: string): Promise<object | undefined> {
    return this.cached(`policy:${name}`, async () => {
      try {
        const answer = await this.lambda.send(new GetPolicyCommand({ FunctionName: name }));
        return answer.Policy ? (JSON.parse(answer.Policy) as object) : undefined;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    });
  }

  private cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    let entry = this.cache.get(key) as Promise<T> | undefined;
    if (!entry) {
      entry = read();
      this.cache.set(key, entry);
      entry.catch(() => this.cache.delete(key));
    }
    return entry;
  }

  private async read(name: string): Promise<DeployedFunction> {
    const answer = await this.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    const c = answer.Configuration;
    if (!c?.FunctionName || !c.FunctionArn || !c.Handler || !c.Role || !c.CodeSha256) {
      throw new AmiBakeError(`Lambda describes ${name} without its name, ARN, handler, role or code hash`);
    }
    const packagePath = this.packageOf(c.FunctionName);
    const digest = createHash('sha256').update(readFileSync(packagePath)).digest('base64');
    if (digest !== c.CodeSha256) {
      throw new AmiBakeError(
        `the package of ${name} in the Terraform state (${packagePath}, sha256 ${digest}) is not the deployed one (${c.CodeSha256}): apply the stack again`,
      );
    }
    return {
      name: c.FunctionName,
      arn: c.FunctionArn,
      handler: c.Handler,
      runtime: c.Runtime ?? 'unknown',
      memoryMiB: c.MemorySize ?? 128,
      timeoutSeconds: c.Timeout ?? 3,
      roleArn: c.Role,
      environment: c.Environment?.Variables ?? {},
      logging: {
        format: c.LoggingConfig?.LogFormat ?? 'Text',
        applicationLevel: c.LoggingConfig?.ApplicationLogLevel,
      },
      codeSha256: c.CodeSha256,
      packagePath,
    };
  }

  private packageOf(functionName: string): string {
    for (const source of this.sources) {
      if (!existsSync(source.statePath)) continue;
      const state = JSON.parse(readFileSync(source.statePath, 'utf-8')) as TerraformState;
      for (const resource of state.resources ?? []) {
        if (resource.type !== 'aws_lambda_function' || resource.mode !== 'managed') continue;
        for (const instance of resource.instances ?? []) {
          const { function_name: fn, filename } = instance.attributes ?? {};
          if (fn === functionName && typeof filename === 'string') {
            return isAbsolute(filename) ? filename : join(source.stackDir, filename);
          }
        }
      }
    }
    throw new AmiBakeError(`no Terraform state of the emulator deploys function ${functionName}`);
  }
}

interface TerraformState {
  resources?: {
    mode: string;
    type: string;
    instances?: { attributes?: Record<string, unknown> }[];
  }[];
}
