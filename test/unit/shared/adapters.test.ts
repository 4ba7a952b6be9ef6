import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DeleteRuleCommand, EventBridgeClient, RemoveTargetsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { removeBuildRule } from '../../../functions/shared/aws/build-rule';
import { recordBuildStart } from '../../../functions/shared/aws/builds-table';
import { describeCandidates } from '../../../functions/shared/aws/images';
import { invokeAsync } from '../../../functions/shared/aws/invoke';
import { getParameterValues } from '../../../functions/shared/aws/parameters';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { parseRecipe } from '../../../functions/shared/recipe';

// mockClient(Class) patches the class for the whole process: create in before(), restore in after().
let ec2: AwsClientStub<EC2Client>;
let ssm: AwsClientStub<SSMClient>;
let events: AwsClientStub<EventBridgeClient>;
let lambda: AwsClientStub<LambdaClient>;
let doc: AwsClientStub<DynamoDBDocumentClient>;

const awsError = (name: string, extra: object = {}) =>
  Object.assign(new Error(name), { name, $metadata: {} }, extra);

describe('AWS adapters', () => {
  before(() => {
    ec2 = mockClient(EC2Client);
    ssm = mockClient(SSMClient);
    events = mockClient(EventBridgeClient);
    lambda = mockClient(LambdaClient);
    doc = mockClient(DynamoDBDocumentClient);
  });
  after(() => {
    for (const mock of [ec2, ssm, events, lambda, doc]) mock.restore();
  });
  beforeEach(() => {
    for (const mock of [ec2, ssm, events, lambda, doc]) mock.reset();
  });

  describe('describeCandidates', () => {
    it('follows NextToken pages and filters on the selector', async () => {
      ec2
        .on(DescribeImagesCommand)
        .resolvesOnce({ Images: [{ ImageId: 'ami-1' }], NextToken: 'page-2' })
        .resolvesOnce({ Images: [{ ImageId: 'ami-2' }] });
      const recipe = parseRecipe(
        { name: 'r', base: { describe: { name: 'al2023-*', architecture: 'arm64' } }, script: 's3://b-1/k' },
        { scripts: 's3', deployment: 'amibake' },
      );
      if (recipe.base.kind !== 'describe') throw new Error('describe selector expected');
      const images = await describeCandidates(new EC2Client({}), [
        recipe.base,
        { ...recipe.base, name: 'al2-*' },
      ]);
      expect(images.map((i) => i.ImageId)).to.deep.equal(['ami-1', 'ami-2']);
      const calls = ec2.commandCalls(DescribeImagesCommand);
      expect(calls[1]?.args[0].input.NextToken).to.equal('page-2');
      expect(calls[0]?.args[0].input.Filters).to.deep.include({ Name: 'architecture', Values: ['arm64'] });
      expect(calls[0]?.args[0].input.Owners).to.deep.equal(['amazon']);
      expect(calls[0]?.args[0].input.Filters).to.deep.include({
        Name: 'name',
        Values: ['al2023-*', 'al2-*'],
      });
    });
  });

  describe('getParameterValues', () => {
    it('asks for at most 10 names per call and drops duplicates', async () => {
      ssm.on(GetParametersCommand).callsFake((input: { Names: string[] }) => ({
        Parameters: input.Names.map((Name) => ({ Name, Value: `ami-${Name.slice(3)}` })),
      }));
      const names = Array.from({ length: 23 }, (_, i) => `/p/${i}`);
      const values = await getParameterValues(new SSMClient({}), [...names, '/p/0']);
      expect(ssm.commandCalls(GetParametersCommand).map((c) => c.args[0].input.Names?.length)).to.deep.equal([
        10, 10, 3,
      ]);
      expect(values.size).to.equal(23);
      expect(values.get('/p/7')).to.equal('ami-7');
    });
  });

  describe('recordBuildStart', () => {
    const build = {
      buildId: 'r-20261124120000-abcdef',
      recipeName: 'r',
      baseImageId: 'ami-1',
      recipeHash: 'h',
      status: 'pending',
    } as BuildRecord;
    const table = { doc: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName: 't' };
    const cancelled = (codes: string[]) =>
      awsError('TransactionCanceledException', { CancellationReasons: codes.map((Code) => ({ Code })) });

    it('reports a build another run started', async () => {
      doc.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed', 'None']));
      expect(await recordBuildStart(table, build, 5)).to.equal('already-started');
    });

    it('reports the in-flight limit', async () => {
      doc.on(TransactWriteCommand).rejects(cancelled(['None', 'None', 'ConditionalCheckFailed']));
      expect(await recordBuildStart(table, build, 5)).to.equal('limit-reached');
    });

    it('passes other errors on', async () => {
      doc.on(TransactWriteCommand).rejects(awsError('ProvisionedThroughputExceededException'));
      let caught: unknown;
      await recordBuildStart(table, build, 5).catch((error) => {
        caught = error;
      });
      expect((caught as Error).name).to.equal('ProvisionedThroughputExceededException');
    });
  });

  describe('removeBuildRule', () => {
    it('removes the target before the rule', async () => {
      await removeBuildRule(new EventBridgeClient({}), 'amibake-x');
      expect(events.calls().map((c) => c.args[0].constructor.name)).to.deep.equal([
        'RemoveTargetsCommand',
        'DeleteRuleCommand',
      ]);
    });

    it('treats a rule that is already gone as removed', async () => {
      events.on(RemoveTargetsCommand).rejects(awsError('ResourceNotFoundException'));
      await removeBuildRule(new EventBridgeClient({}), 'amibake-x');
      expect(events.commandCalls(DeleteRuleCommand)).to.have.length(0);
    });
  });

  describe('invokeAsync', () => {
    it('sends an Event invocation with the payload', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
      await invokeAsync(new LambdaClient({}), 'fn', { buildId: 'b' });
      const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
      expect(input?.InvocationType).to.equal('Event');
      expect(Buffer.from(input?.Payload as Uint8Array).toString()).to.equal('{"buildId":"b"}');
    });

    it('fails on any other status', async () => {
      lambda.on(InvokeCommand).resolves({ StatusCode: 200 });
      let caught: unknown;
      await invokeAsync(new LambdaClient({}), 'fn', {}).catch((error) => {
        caught = error;
      });
      expect((caught as Error).message).to.match(/answered 200, expected 202/);
    });
  });
});
