import {
  CreateTagsCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { GetParametersCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { expect } from 'chai';
import { getText, presignPut } from '../../functions/shared/aws/objects';
import { drain, runBakeCycle } from '../../local/bake-cycle';
import { type AwsClients, awsClients } from '../../local/emulator/aws-clients';
import type { LocalAccount, LocalStack } from '../../local/local-account';
import { clientsAs, deployed, RECIPE_AUTHORS, scratchDir, standardConfig } from '../support/local-account';

/** The error a call fails with (its name and message), or "succeeded". */
async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await call;
    return { name: 'succeeded', message: '' };
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
}

/** An arm64 and an x86_64 image of moto's default catalog. */
const ARM64_IMAGE = 'ami-0e9271c829888680e';
const X86_64_IMAGE = 'ami-076f415166b04f5fe';

/** A role's trust policy: EC2 may assume it. */
const TRUST_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

describe('the emulator layer holds the functions to what AWS enforces', function () {
  this.timeout(120_000);
  let account: LocalAccount;
  let stack: LocalStack;
  let operator: AwsClients;
  const scratch = scratchDir();
  after(() => scratch.remove());

  before(async () => {
    ({ account, stack } = await deployed(standardConfig()));
    operator = account.emulator.clients;
  });

  it("judges every call of a full cycle against the deployed roles' policies, and allows them all", async () => {
    const { builds } = await runBakeCycle(account, stack, { workdir: scratch.path });
    expect(builds.map((b) => b.status)).to.deep.equal(['succeeded']);
    const { decisions } = account.emulator.authorizer;
    expect(decisions.filter((d) => !d.allowed)).to.deep.equal([]);
    const role = (d: { principal: string }) => d.principal.split('/')[1] ?? '';
    const ours = decisions.filter((d) => role(d).startsWith('amibake-ami-'));
    expect([...new Set(ours.map(role))].sort()).to.deep.equal([
      'amibake-ami-build-trigger',
      'amibake-ami-ec2-instance-create',
      'amibake-ami-image-create',
    ]);
    // Another deployment of the account sees this one's image events too: it only looks.
    const others = decisions.filter((d) => !role(d).startsWith('amibake-ami-'));
    expect(others.filter((d) => d.action !== 'ec2:DescribeImages')).to.deep.equal([]);
    expect(decisions.length).to.be.greaterThan(30);
    expect(account.emulator.problems).to.deep.equal([]);
  });

  it("refuses to terminate an instance that lacks this deployment's tags", async () => {
    const launched = await operator.ec2.send(
      new RunInstancesCommand({ ImageId: 'ami-0aae19d30bab785d3', MinCount: 1, MaxCount: 1 }),
    );
    const instanceId = launched.Instances?.[0]?.InstanceId ?? '';
    const asImageCreate = await clientsAs(account, stack, 'imageCreate');
    const error = await refusal(
      asImageCreate.ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })),
    );
    expect(error.name).to.equal('UnauthorizedOperation');
    expect(error.message).to.include(
      `is not authorized to perform: ec2:TerminateInstances on resource: arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`,
    );
    const described = await operator.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    expect(described.Reservations?.[0]?.Instances?.[0]?.State?.Name).to.equal('running');
  });

  it("serves an instance's own console: posted at state changes, latest on Nitro only, read only by its deployment", async () => {
    const launch = async (InstanceType: 't2.micro' | 't3.micro') =>
      (
        await operator.ec2.send(
          new RunInstancesCommand({
            ImageId: 'ami-0aae19d30bab785d3',
            InstanceType,
            MinCount: 1,
            MaxCount: 1,
          }),
        )
      ).Instances?.[0]?.InstanceId ?? '';
    const nitro = await launch('t3.micro');
    const xen = await launch('t2.micro');
    const consoleOf = async (InstanceId: string, Latest: boolean, clients = operator) => {
      const answer = await clients.ec2.send(new GetConsoleOutputCommand({ InstanceId, Latest }));
      return Buffer.from(answer.Output ?? '', 'base64').toString('utf-8');
    };
    for (const id of [nitro, xen]) account.emulator.ec2.writeConsole(id, `booted ${id}\r\n`);
    expect(await consoleOf(nitro, false), 'nothing posted before a state change').to.equal('');
    expect(await consoleOf(nitro, true)).to.equal(`booted ${nitro}\r\n`);
    const latestOnXen = await refusal(consoleOf(xen, true));
    expect(latestOnXen.name).to.equal('UnsupportedOperation');
    expect(latestOnXen.message).to.include('t2.micro');
    await operator.ec2.send(new StopInstancesCommand({ InstanceIds: [xen] }));
    expect(await consoleOf(xen, false), 'posted when it stopped').to.equal(`booted ${xen}\r\n`);

    // ami_image_create reads the consoles of its deployment's build instances only.
    const asImageCreate = await clientsAs(account, stack, 'imageCreate');
    const refused = await refusal(consoleOf(nitro, true, asImageCreate));
    expect(refused.name).to.equal('UnauthorizedOperation');
    expect(refused.message).to.include(
      `ec2:GetConsoleOutput on resource: arn:aws:ec2:us-east-1:123456789012:instance/${nitro}`,
    );
    await operator.ec2.send(
      new CreateTagsCommand({
        Resources: [nitro],
        Tags: [
          { Key: 'amibake:deployment', Value: 'amibake' },
          { Key: 'amibake:build-id', Value: 'ecs-node-20261129000000-abcdef' },
        ],
      }),
    );
    expect(await consoleOf(nitro, true, asImageCreate)).to.equal(`booted ${nitro}\r\n`);
    await operator.ec2.send(new TerminateInstancesCommand({ InstanceIds: [nitro, xen] }));
  });

  it('refuses to launch an instance type of another architecture than the image, as EC2 does', async () => {
    const launch = (ImageId: string, InstanceType: 't3.small' | 't4g.small') =>
      refusal(
        operator.ec2.send(new RunInstancesCommand({ ImageId, InstanceType, MinCount: 1, MaxCount: 1 })),
      );
    const arm64 = await launch(ARM64_IMAGE, 't3.small');
    expect(arm64.name).to.equal('InvalidParameterValue');
    expect(arm64.message).to.include(
      "The architecture 'x86_64' of the specified instance type does not match the architecture 'arm64' of the specified AMI",
    );
    expect((await launch(X86_64_IMAGE, 't4g.small')).name).to.equal('InvalidParameterValue');
    const launched = await operator.ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: 'image-id', Values: [ARM64_IMAGE] },
          { Name: 'instance-type', Values: ['t3.small'] },
        ],
      }),
    );
    expect(launched.Reservations ?? [], 'the refused launch made no instance').to.deep.equal([]);
  });

  it("refuses to delete another deployment's rule", async () => {
    await operator.events.send(
      new PutRuleCommand({
        Name: 'staging-ecs-node-20261129000000-abcdef',
        EventPattern: '{"source":["aws.ec2"]}',
      }),
    );
    const asImageCreate = await clientsAs(account, stack, 'imageCreate');
    const error = await refusal(
      asImageCreate.events.send(new DeleteRuleCommand({ Name: 'staging-ecs-node-20261129000000-abcdef' })),
    );
    expect(error.name).to.equal('AccessDeniedException');
    const rule = await operator.events.send(
      new DescribeRuleCommand({ Name: 'staging-ecs-node-20261129000000-abcdef' }),
    );
    expect(rule.Name).to.equal('staging-ecs-node-20261129000000-abcdef');
  });

  it('lets ami_ec2_instance_create make build rules only on instance state changes, aimed only at ami_image_create', async () => {
    const asInstanceCreate = await clientsAs(account, stack, 'instanceCreate');
    const name = 'amibake.ecs-node-20261129000000-abcdef';
    const otherSource = await refusal(
      asInstanceCreate.events.send(new PutRuleCommand({ Name: name, EventPattern: '{"source":["aws.s3"]}' })),
    );
    expect(otherSource.name).to.equal('AccessDeniedException');
    await asInstanceCreate.events.send(
      new PutRuleCommand({
        Name: name,
        EventPattern: JSON.stringify({
          source: ['aws.ec2'],
          'detail-type': ['EC2 Instance State-change Notification'],
        }),
      }),
    );
    const imageCreate = await account.emulator.lambda.describe(stack.deployment.names.functions.imageCreate);
    const elsewhere = await refusal(
      asInstanceCreate.events.send(
        new PutTargetsCommand({
          Rule: name,
          Targets: [{ Id: 'x', Arn: imageCreate.arn.replace('ami_image_create', 'ami_build_trigger') }],
        }),
      ),
    );
    expect(elsewhere.name).to.equal('AccessDeniedException');
    await asInstanceCreate.events.send(
      new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'ami_image_create', Arn: imageCreate.arn }] }),
    );
    await asInstanceCreate.events.send(new RemoveTargetsCommand({ Rule: name, Ids: ['ami_image_create'] }));
    await asInstanceCreate.events.send(new DeleteRuleCommand({ Name: name }));
  });

  it('lets only the authors and the deployer write recipes and scripts, whatever IAM allows anyone else', async () => {
    /** Clients of a role of the account whose own policy allows every S3 action. */
    const asRole = async (name: string) => {
      const role = await operator.iam.send(
        new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_EC2 }),
      );
      await operator.iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: 's3-admin',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
          }),
        }),
      );
      const roleArn = role.Role?.Arn ?? '';
      const credentials = account.emulator.callers.issue({
        kind: 'function',
        functionName: `${name}-session`,
        roleArn,
        environmentId: name,
      });
      return awsClients(account.emulator.endpoint, account.region, credentials);
    };
    const bucket = stack.deployment.bucket;
    const put = (clients: AwsClients, Key: string) =>
      refusal(clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'echo owned' })));
    const teammate = await asRole('teammate');
    const author = await asRole(RECIPE_AUTHORS.split('/').pop() ?? '');

    for (const key of ['scripts/user_data/ecs-node.sh', 'recipes/recipes.json', 'scripts/new.sh']) {
      const refused = await put(teammate, key);
      expect(refused.name, key).to.equal('AccessDenied');
      expect(refused.message).to.include('with an explicit deny in a policy');
    }
    const deleted = await refusal(
      teammate.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'scripts/user_data/ecs-node.sh' })),
    );
    expect(deleted.name).to.equal('AccessDenied');
    expect((await put(teammate, 'team/notes.txt')).name, 'elsewhere IAM decides').to.equal('succeeded');
    expect((await put(author, 'scripts/new.sh')).name).to.equal('succeeded');
    const script = await getText(operator.s3, { bucket, key: 'scripts/user_data/ecs-node.sh' });
    expect(script).to.not.include('echo owned');
    const { Policy } = await operator.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    const deny = JSON.parse(Policy ?? '{}').Statement.find(
      (st: { Sid: string }) => st.Sid === 'OnlyAuthorsWriteRecipesAndScripts',
    );
    expect(deny.Condition.ArnNotLike['aws:PrincipalArn']).to.have.length(2).and.include(RECIPE_AUTHORS);
    for (const key of ['scripts/new.sh', 'team/notes.txt'])
      await operator.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  });

  it('refuses to write a parameter no recipe names', async () => {
    const asImageCreate = await clientsAs(account, stack, 'imageCreate');
    const error = await refusal(
      asImageCreate.ssm.send(
        new PutParameterCommand({ Name: '/platform/not-a-recipe', Value: 'ami-12345678', Type: 'String' }),
      ),
    );
    expect(error.name).to.equal('AccessDeniedException');
    const read = await operator.ssm.send(new GetParametersCommand({ Names: ['/platform/not-a-recipe'] }));
    expect(read.InvalidParameters).to.deep.equal(['/platform/not-a-recipe']);
  });

  it('refuses to pass any role but the build instance role to a launch', async () => {
    await operator.iam.send(
      new CreateRoleCommand({
        RoleName: 'intruder',
        AssumeRolePolicyDocument: TRUST_EC2,
      }),
    );
    await operator.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'intruder' }));
    await operator.iam.send(
      new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'intruder', RoleName: 'intruder' }),
    );
    const asInstanceCreate = await clientsAs(account, stack, 'instanceCreate');
    const tags = [
      { Key: 'amibake:build-id', Value: 'ecs-node-20261129000000-abcdef' },
      { Key: 'amibake:deployment', Value: 'amibake' },
    ];
    const launch = (profile: string) =>
      asInstanceCreate.ec2.send(
        new RunInstancesCommand({
          ImageId: 'ami-0aae19d30bab785d3',
          InstanceType: 't3.small',
          MinCount: 1,
          MaxCount: 1,
          IamInstanceProfile: { Name: profile },
          TagSpecifications: [
            { ResourceType: 'instance', Tags: tags },
            { ResourceType: 'volume', Tags: tags },
          ],
        }),
      );
    const error = await refusal(launch('intruder'));
    expect(error.name).to.equal('UnauthorizedOperation');
    expect(error.message).to.include('iam:PassRole on resource: arn:aws:iam::123456789012:role/intruder');
    expect((await refusal(launch('amibake-build-instance'))).name, 'the build role may be passed').to.equal(
      'succeeded',
    );
  });

  it('answers a read of a missing key with 403 to a role that may not list the bucket, 404 to one that may', async () => {
    const key = 'builds/ecs-node-20200101000000-abcdef/status.json';
    const bucket = stack.deployment.bucket;
    const asTrigger = await clientsAs(account, stack, 'trigger');
    expect(
      (await refusal(asTrigger.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).name,
    ).to.equal('AccessDenied');
    expect(
      (await refusal(operator.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })))).name,
    ).to.equal('NoSuchKey');
    // ami_image_create may list exactly the builds/ keys it reads: it tells the missing report from a refusal.
    const asImageCreate = await clientsAs(account, stack, 'imageCreate');
    expect(await getText(asImageCreate.s3, { bucket, key })).to.equal(undefined);
    const asTriggerRead = await refusal(getText(asTrigger.s3, { bucket, key }));
    expect(asTriggerRead.message).to.match(
      /cannot be read \(AccessDenied\), and listing it was refused too$/,
    );
  });

  it('checks pre-signed URLs: the signature, the expiry, and a checksum signed into the URL', async () => {
    const bucket = stack.deployment.bucket;
    const asInstanceCreate = await clientsAs(account, stack, 'instanceCreate');
    const ref = { bucket, key: 'builds/ecs-node-20200101000000-abcdef/status.json' };
    const put = (url: string, body: string) =>
      fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } });

    const url = await presignPut(asInstanceCreate.presigner, ref, 600);
    expect(url).to.not.match(/x-amz-checksum-/i);
    expect((await put(url, '{"exitCode":0}')).status).to.equal(200);

    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f]+)/,
      (_, sig: string) => `X-Amz-Signature=${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`,
    );
    const forged = await put(tampered, '{"exitCode":0}');
    expect(forged.status).to.equal(403);
    expect(await forged.text()).to.include('<Code>SignatureDoesNotMatch</Code>');

    const old = await getSignedUrl(
      asInstanceCreate.presigner,
      new PutObjectCommand({ Bucket: bucket, Key: ref.key }),
      {
        expiresIn: 60,
        signingDate: new Date(Date.now() - 3600_000),
      },
    );
    const expired = await put(old, '{"exitCode":0}');
    expect(expired.status).to.equal(403);
    expect(await expired.text()).to.include('Request has expired');

    // The SDK's default client signs the CRC-32 of an empty body into the URL: S3 refuses a real body.
    const checksummed = await presignPut(asInstanceCreate.s3 as S3Client, ref, 600);
    expect(checksummed).to.include('x-amz-checksum-crc32=AAAAAA%3D%3D');
    const refused = await put(checksummed, '{"exitCode":0}');
    expect(refused.status).to.equal(400);
    expect(await refused.text()).to.include('<Code>BadDigest</Code>');
  });

  it("evaluates the bucket's policy with its conditions, as S3 does", async () => {
    const bucket = stack.deployment.bucket;
    const stackPolicy = await operator.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }));
    expect(JSON.parse(stackPolicy.Policy ?? '{}').Statement[0].Condition).to.deep.equal({
      Bool: { 'aws:SecureTransport': 'false' },
    });
    const asImageCreate = await clientsAs(account, stack, 'imageCreate');
    const key = 'builds/policy-probe/status.json';
    await operator.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{}' }));
    expect(
      await getText(asImageCreate.s3, { bucket, key }),
      'the TLS-only deny does not apply over TLS',
    ).to.equal('{}');
    const withDeny = JSON.parse(stackPolicy.Policy ?? '{}');
    withDeny.Statement.push({
      Sid: 'DenyReports',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:GetObject',
      Resource: `arn:aws:s3:::${bucket}/builds/*`,
      Condition: {
        StringEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/amibake-ami-image-create' },
      },
    });
    await operator.s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(withDeny) }));
    try {
      expect((await refusal(getText(asImageCreate.s3, { bucket, key }))).name).to.equal('AccessDenied');
    } finally {
      await operator.s3.send(
        new PutBucketPolicyCommand({ Bucket: bucket, Policy: stackPolicy.Policy ?? '' }),
      );
    }
  });

  it("delivers a rule's event to a function only when the function's Lambda permissions allow that rule", async () => {
    const imageCreate = await account.emulator.lambda.describe(stack.deployment.names.functions.imageCreate);
    for (const name of ['outsider-rule', 'amibake.ecs-node-20200101000000-abcdef']) {
      await operator.events.send(
        new PutRuleCommand({ Name: name, EventPattern: '{"source":["test.probe"]}' }),
      );
      await operator.events.send(
        new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'probe', Arn: imageCreate.arn }] }),
      );
    }
    const deliveries = await account.events.publish({
      source: 'test.probe',
      'detail-type': 'probe',
      detail: {},
    });
    const byRule = Object.fromEntries(deliveries.map((d) => [d.ruleName, d.delivered]));
    expect(byRule).to.deep.equal({ 'outsider-rule': false, 'amibake.ecs-node-20200101000000-abcdef': true });
    expect(account.emulator.lambda.pending).to.equal(1);
    await drain(account, () => {});
  });

  it('retries a launch that fails as deployed (twice), then keeps it on the failed-launches queue', async () => {
    const seen = account.emulator.lambda.invocations.length;
    account.emulator.faults.reset({ at: 1, kind: 'permanent' });
    account.emulator.lambda.invokeAsync(
      stack.deployment.names.functions.instanceCreate,
      { buildId: 'ecs-node-20200101000000-abcdef' },
      'test',
    );
    await drain(account, () => {});
    account.emulator.faults.reset();
    const attempts = account.emulator.lambda.invocations
      .slice(seen)
      .filter((i) => i.functionName === stack.deployment.names.functions.instanceCreate);
    expect(attempts.map((a) => [a.attempt, a.outcome.ok])).to.deep.equal([
      [1, false],
      [2, false],
      [3, false],
    ]);
    const received = await operator.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: stack.outputs.failed_launches_queue, MaxNumberOfMessages: 10 }),
    );
    const records = (received.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(records).to.have.length(1);
    expect(records[0]).to.deep.include({ requestPayload: { buildId: 'ecs-node-20200101000000-abcdef' } });
    expect(records[0].requestContext).to.include({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
  });

  it("runs each function as deployed: its environment, memory, handler and runtime's Node come from Lambda, in a process of its own", async () => {
    const trigger = await account.emulator.lambda.describe(stack.deployment.names.functions.trigger);
    await account.emulator.lambda.invoke(trigger.name, {}, 'test');
    await drain(account, () => {});
    const [pid] = account.emulator.lambda.processesOf(trigger.name);
    const { readFileSync } = await import('node:fs');
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf-8').split('\0');
    for (const [key, value] of Object.entries(trigger.environment))
      expect(environ).to.include(`${key}=${value}`);
    expect(environ).to.include(`_HANDLER=${trigger.handler}`);
    expect(environ).to.include('AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512');
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf-8')).to.include('--max-old-space-size=512');
    expect(trigger).to.include({
      memoryMiB: 512,
      timeoutSeconds: 300,
      handler: 'index.handler',
      runtime: 'nodejs24.x',
    });
    const { execFileSync } = await import('node:child_process');
    const node = execFileSync(`/proc/${pid}/exe`, ['--version'], { encoding: 'utf-8' });
    expect(node, "the process runs the runtime's Node major").to.match(/^v24\./);
  });
});
