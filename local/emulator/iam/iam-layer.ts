import { accessDeniedCode, errorAnswer } from '../answers';
import { type AwsRequest, s3Location } from '../aws-request';
import { type Caller, EMULATED_ACCOUNT, principalArn } from '../callers';
import type { Layer } from '../gateway';
import type { AccountFacts } from './account-facts';
import type { Authorizer } from './authorizer';
import { globalContext } from './request-context';
import { authorizationsFor } from './service-authorizations';

type FunctionCaller = Extract<Caller, { kind: 'function' }>;

export interface IamLayerOptions {
  authorizer: Authorizer;
  facts: AccountFacts;
  /** A call the emulator could not map or judge: the tests fail on any. */
  onProblem: (problem: string) => void;
}

/**
 * Every call a function makes (and every pre-signed request, which acts with its signer's
 * permissions) is judged by the IAM evaluator against the function's deployed role policy,
 * with the request context AWS would build. A refusal is answered as the service answers it.
 */
export function iamLayer(options: IamLayerOptions): Layer {
  return async (call, next) => {
    const { request, caller } = call;
    if (caller?.kind !== 'function') return next();
    const region = request.region || 'us-east-1';
    const scope = { region, account: EMULATED_ACCOUNT, partition: 'aws', facts: options.facts };
    const authorizations = await authorizationsFor(request, scope);
    const principal = principalArn(caller);
    if ('unmapped' in authorizations) {
      options.onProblem(`no IAM mapping for ${authorizations.unmapped} (called by ${caller.functionName})`);
      return deny(
        call.request,
        principal,
        authorizations.unmapped,
        '*',
        'the emulator has no IAM mapping for this call',
      );
    }
    const denial = await options.authorizer.decide(
      { arn: principal, roleArn: caller.roleArn },
      authorizations,
      globalContext(principal, EMULATED_ACCOUNT, region),
    );
    if (!denial) return next();
    const { code, status } = accessDeniedCode(request);
    return errorAnswer(request, status, code, denial.message);
  };
}

function deny(request: AwsRequest, principal: string, action: string, resource: string, why: string) {
  const { code, status } = accessDeniedCode(request);
  return errorAnswer(
    request,
    status,
    code,
    `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} (${why})`,
  );
}

/**
 * S3's answer to a GET or HEAD of a missing key: 404 NoSuchKey only for a caller allowed
 * s3:ListBucket on the bucket; anyone else gets 403 AccessDenied, which tells nothing about what
 * exists. moto answers 404 to everyone.
 */
export function missingKeyLayer(options: Pick<IamLayerOptions, 'authorizer'>): Layer {
  return async (call, next) => {
    const answer = await next();
    const { request, caller } = call;
    const read = request.operation === 'GetObject' || request.operation === 'HeadObject';
    if (answer.status !== 404 || !read || caller?.kind !== 'function') return answer;
    const { bucket } = s3Location(request.url);
    const principal = principalArn(caller as FunctionCaller);
    const denial = await options.authorizer.decide(
      { arn: principal, roleArn: (caller as FunctionCaller).roleArn },
      [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, resourceType: 'bucket', facts: {} }],
      globalContext(principal, EMULATED_ACCOUNT, request.region || 'us-east-1'),
    );
    if (!denial) return answer;
    return errorAnswer(request, 403, 'AccessDenied', 'Access Denied');
  };
}
