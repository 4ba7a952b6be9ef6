import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DeployedFunctions } from '../lambda/deployed-functions';
import { lambdaInvokeLayer } from '../lambda/invoke-layer';
import { LambdaService } from '../lambda/lambda-service';
import { type RuntimeBinaries, runtimeBinaries } from '../lambda/node-runtimes';
import { type AwsClients, awsClients } from './aws-clients';
import { callName } from './aws-request';
import { CallerRegistry, EMULATED_ACCOUNT, principalArn } from './callers';
import { FaultInjector } from './fault-injector';
import { AutoScalingGaps } from './gaps/autoscaling-gaps';
import { Ec2Gaps } from './gaps/ec2-gaps';
import { literalRulePrefix } from './gaps/events-gaps';
import { FunctionLoggingConfigs } from './gaps/lambda-gaps';
import { BucketPolicies, lifecycleDefaultHeader } from './gaps/s3-gaps';
import { SnsGaps } from './gaps/sns-gaps';
import { SsmGaps } from './gaps/ssm-gaps';
import { Gateway, knownCallersOnly, type Layer } from './gateway';
import { accountFacts } from './iam/account-facts';
import { Authorizer } from './iam/authorizer';
import { iamActionsOf } from './iam/call-actions';
import { iamLayer, missingKeyLayer } from './iam/iam-layer';
import { globalContext } from './iam/request-context';
import { machineMotoPython } from './moto-python';
import { type MotoServer, startMoto } from './moto-server';
import { presignedUrlLayer } from './s3/presigned-urls';

/**
 * One emulated AWS account: moto behind the gateway's layers, with an emulated Lambda service
 * that runs the deployed functions. `endpoint` is what Terraform, the functions, the build
 * instances and the tests are pointed at; `clients` are the operator's.
 */
export interface Emulator {
  endpoint: string;
  region: string;
  moto: MotoServer;
  gateway: Gateway;
  callers: CallerRegistry;
  ec2: Ec2Gaps;
  sns: SnsGaps;
  /** AWS's public parameters that moto lacks, seeded by the local run. */
  ssm: SsmGaps;
  autoscaling: AutoScalingGaps;
  bucketPolicies: BucketPolicies;
  authorizer: Authorizer;
  faults: FaultInjector;
  lambda: LambdaService;
  functions: DeployedFunctions;
  clients: AwsClients;
  /** Calls the emulator could not judge (no IAM mapping, an evaluator error): a test fails on any. */
  problems: string[];
  /** Every call received, by `<service>:<operation>`, whoever made it (cleared by the caller). */
  calls: Map<string, number>;
  /**
   * The IAM actions of every call signed with this access key from now on (each call's action,
   * and the role it passes and tags it sets: see call-actions.ts).
   */
  recordActions(accessKeyId: string): Set<string>;
  /** Scratch space of this emulator (removed by stop()). */
  workdir: string;
  /** Wipes the account and what the layers hold; the Lambda service's environments go too. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The fraction of the SDK's retry delays the deployed functions wait here: a throttled call is
 * retried after tens of milliseconds instead of seconds. Retry counts and classification are
 * the SDK's own.
 */
const EMULATOR_RETRY_DELAY_SCALE = 0.05;

export async function startEmulator(options: {
  region: string;
  retryDelayScale?: number;
  /**
   * The Node.js each Lambda runtime runs on. Without it, functions run only on a runtime of this
   * process's own Node major, and any other is refused.
   */
  runtimes?: RuntimeBinaries;
}): Promise<Emulator> {
  const moto = await startMoto({ python: machineMotoPython() });
  const workdir = mkdtempSync(join(tmpdir(), 'amibake-emulator-'));
  try {
    // The emulator's own reads (tags, roles, functions) go to moto directly, past the layers.
    const direct = awsClients(moto.url, options.region);
    const callers = new CallerRegistry();
    const problems: string[] = [];
    let gateway: Gateway | undefined;
    const ec2 = new Ec2Gaps((request) => (gateway as Gateway).toMoto(request));
    const sns = new SnsGaps();
    const ssm = new SsmGaps();
    const autoscaling = new AutoScalingGaps((request) => (gateway as Gateway).toMoto(request));
    const bucketPolicies = new BucketPolicies(async (bucket) => {
      const answer = await moto.request('HEAD', `/${bucket}`);
      return answer < 300;
    });
    const loggingConfigs = new FunctionLoggingConfigs();
    const authorizer = new Authorizer(direct.iam, (resource) => {
      const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
      return bucket ? bucketPolicies.policyOf(bucket) : undefined;
    });
    const facts = accountFacts(
      (region) => direct.inRegion(region).ec2,
      direct.iam,
      (region) => direct.inRegion(region).autoscaling,
      (region) => direct.inRegion(region).kms,
      (region, imageId) => ec2.imageKey(region, imageId),
    );
    const functions = new DeployedFunctions(direct.lambda);
    let endpoint = '';
    const lambda = new LambdaService({
      get endpoint() {
        return endpoint;
      },
      region: options.region,
      retryDelayScale: options.retryDelayScale ?? EMULATOR_RETRY_DELAY_SCALE,
      callers,
      functions,
      workdir: join(workdir, 'lambda'),
      runtimes:
        options.runtimes ??
        runtimeBinaries({
          binaryFor: (major) => {
            throw new Error(
              `this emulator was started without a Node ${major} (startEmulator's runtimes option)`,
            );
          },
        }),
      deliverFailure: async (fn, record, destination) => {
        const principal = principalArn({
          kind: 'function',
          functionName: fn.name,
          roleArn: fn.roleArn,
          environmentId: '',
        });
        const denial = await authorizer.decide(
          { arn: principal, roleArn: fn.roleArn },
          [{ action: 'sqs:SendMessage', resource: destination, resourceType: 'queue', facts: {} }],
          globalContext(principal, EMULATED_ACCOUNT, options.region),
        );
        if (denial) return `not delivered: ${denial.message}`;
        const [, , , region = options.region, account, name] = destination.split(':');
        const url = `${moto.url}/${account}/${name}`;
        await direct
          .inRegion(region)
          .sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(record) }));
        return `delivered to ${destination}`;
      },
    });
    const calls = new Map<string, number>();
    const recorded = new Map<string, Set<string>>();
    const counter: Layer = (call, next) => {
      const name = callName(call.request);
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const actions = recorded.get(call.request.accessKeyId ?? '');
      for (const action of actions ? iamActionsOf(call.request) : []) actions?.add(action);
      return next();
    };
    const faults = new FaultInjector(
      (id) => lambda.invocationOf(id),
      (id) => lambda.crash(id),
    );
    gateway = new Gateway(
      moto.url,
      [
        counter,
        knownCallersOnly,
        faults.layer,
        presignedUrlLayer((key) => callers.secretOf(key)),
        iamLayer({ authorizer, facts, onProblem: (p) => problems.push(p) }),
        missingKeyLayer({ authorizer }),
        lambdaInvokeLayer(lambda),
        bucketPolicies.layer,
        lifecycleDefaultHeader,
        loggingConfigs.layer,
        literalRulePrefix,
        ec2.layer,
        sns.layer,
        ssm.layer,
        autoscaling.layer,
      ],
      (key) => callers.callerOf(key),
    );
    gateway.onError = (problem) => problems.push(`the emulator failed: ${problem}`);
    endpoint = await gateway.start();
    const running = gateway;
    return {
      endpoint,
      region: options.region,
      moto,
      gateway: running,
      callers,
      ec2,
      sns,
      ssm,
      autoscaling,
      bucketPolicies,
      authorizer,
      faults,
      lambda,
      functions,
      clients: awsClients(endpoint, options.region),
      problems,
      calls,
      recordActions: (accessKeyId) => {
        const actions = new Set<string>();
        recorded.set(accessKeyId, actions);
        return actions;
      },
      workdir,
      reset: async () => {
        lambda.stop();
        await moto.reset();
        ec2.clear();
        sns.clear();
        autoscaling.clear();
        bucketPolicies.clear();
        loggingConfigs.clear();
        functions.forget();
        authorizer.forget();
        problems.length = 0;
      },
      stop: async () => {
        lambda.stop();
        await running.stop();
        await moto.stop();
        rmSync(workdir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await moto.stop();
    rmSync(workdir, { recursive: true, force: true });
    throw error;
  }
}
