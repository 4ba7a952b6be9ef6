import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * Whether a function's resource policy (its `aws_lambda_permission`s) lets an AWS service invoke
 * it on behalf of a source (a rule's ARN), judged by the IAM evaluator as Lambda judges it.
 */
export async function serviceMayInvoke(
  policy: object | undefined,
  request: { service: string; functionArn: string; sourceArn: string; sourceAccount: string },
): Promise<{ allowed: boolean; reason: string }> {
  if (!policy) return { allowed: false, reason: 'the function has no resource policy' };
  const answer = await runSimulation(
    {
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
      request: {
        principal: request.service,
        action: 'lambda:InvokeFunction',
        resource: { resource: request.functionArn, accountId: request.sourceAccount },
        contextVariables: { 'aws:SourceArn': request.sourceArn, 'aws:SourceAccount': request.sourceAccount },
      },
    },
    {},
  );
  if (answer.resultType === 'error') return { allowed: false, reason: JSON.stringify(answer.errors) };
  return answer.overallResult === 'Allowed'
    ? { allowed: true, reason: 'allowed by the resource policy' }
    : {
        allowed: false,
        reason: `no statement of the resource policy lets ${request.service} invoke it for ${request.sourceArn}`,
      };
}
