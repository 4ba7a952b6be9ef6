import type { Statement } from './statement';

/** The Lambda runtime writes the function's logs to its own log group. */
export const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

export function writeOwnLogs(logGroupArn: string): Statement {
  return {
    sid: 'WriteOwnLogs',
    reason: "the Lambda runtime writes this function's logs to its log group, created by the stack",
    actions: LOG_ACTIONS,
    resources: [`${logGroupArn}:*`],
  };
}

/** Present on everything a build creates, and required on every mutating EC2 call. */
export const BUILD_TAG = 'amibake:build-id';

export const requestTagged = { Null: { [`aws:RequestTag/${BUILD_TAG}`]: 'false' } };
export const resourceTagged = { Null: { [`aws:ResourceTag/${BUILD_TAG}`]: 'false' } };
