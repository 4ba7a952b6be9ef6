import { expect } from 'chai';
import { parseRequest } from '../../../local/emulator/aws-request';
import { iamActionsOf } from '../../../local/emulator/iam/call-actions';

/** A request as the gateway receives it, signed for `service`. */
const signed = (
  service: string,
  method: string,
  path: string,
  body = '',
  headers: Record<string, string> = {},
) =>
  parseRequest(
    method,
    path,
    {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIATEST/20261130/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=x`,
      ...headers,
    },
    Buffer.from(body),
  );
const query = (service: string, form: Record<string, string>) =>
  signed(service, 'POST', '/', new URLSearchParams(form).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
const actions = (request: ReturnType<typeof parseRequest>) => [request.operation, iamActionsOf(request)];

describe('the IAM actions of a call', () => {
  it('names the bucket settings the provider reads as S3 names them, and their actions as IAM does', () => {
    expect(actions(signed('s3', 'GET', '/artifacts?acl'))).to.deep.equal([
      'GetBucketAcl',
      ['s3:GetBucketAcl'],
    ]);
    expect(actions(signed('s3', 'GET', '/artifacts?cors'))).to.deep.equal([
      'GetBucketCors',
      ['s3:GetBucketCORS'],
    ]);
    expect(actions(signed('s3', 'GET', '/artifacts?accelerate'))).to.deep.equal([
      'GetBucketAccelerateConfiguration',
      ['s3:GetAccelerateConfiguration'],
    ]);
    expect(actions(signed('s3', 'GET', '/artifacts?object-lock'))).to.deep.equal([
      'GetObjectLockConfiguration',
      ['s3:GetBucketObjectLockConfiguration'],
    ]);
    expect(actions(signed('s3', 'HEAD', '/artifacts'))).to.deep.equal(['HeadBucket', ['s3:ListBucket']]);
    expect(actions(signed('s3', 'DELETE', '/artifacts/builds/log?versionId=v1'))).to.deep.equal([
      'DeleteObject',
      ['s3:DeleteObjectVersion'],
    ]);
  });

  it("names the provider's Lambda calls, and the role a function is created with", () => {
    expect(actions(signed('lambda', 'POST', '/2015-03-31/functions/f/aliases', '{}'))).to.deep.equal([
      'CreateAlias',
      ['lambda:CreateAlias'],
    ]);
    expect(
      actions(signed('lambda', 'PUT', '/2019-09-25/functions/f/event-invoke-config', '{}')),
    ).to.deep.equal(['PutFunctionEventInvokeConfig', ['lambda:PutFunctionEventInvokeConfig']]);
    const create = JSON.stringify({
      FunctionName: 'f',
      Role: 'arn:aws:iam::123456789012:role/r',
      Tags: { a: 'b' },
    });
    expect(actions(signed('lambda', 'POST', '/2015-03-31/functions', create))).to.deep.equal([
      'CreateFunction',
      ['lambda:CreateFunction', 'lambda:TagResource', 'iam:PassRole'],
    ]);
  });

  it('adds the tagging permission of a create that carries tags, and only then', () => {
    const role = { Action: 'CreateRole', RoleName: 'r', AssumeRolePolicyDocument: '{}' };
    expect(
      iamActionsOf(query('iam', { ...role, 'Tags.member.1.Key': 'team', 'Tags.member.1.Value': 'x' })),
    ).to.deep.equal(['iam:CreateRole', 'iam:TagRole']);
    expect(iamActionsOf(query('iam', role))).to.deep.equal(['iam:CreateRole']);
  });
});
