import {
  CopyImageCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  EC2Client,
  type Image,
  type ImageState,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { expect } from 'chai';
import { distribute } from '../../../functions/ami-image-create/distribute';
import type { BuildRecord } from '../../../functions/shared/build-record';
import { parseRecipe } from '../../../functions/shared/recipe';
import { builtImage } from '../../support/images';

const recipe = parseRecipe(
  {
    name: 'ecs',
    base: { describe: { name: 'al2023-*' } },
    script: 's3://bucket/ecs.sh',
    distribution: { copies: [{ region: 'eu-west-1' }], share: { accounts: ['111122223333'] } },
  },
  { scripts: 's3', deployment: 'amibake' },
);
const build = {
  buildId: 'ecs-20261124100000-abcdef',
  recipe,
  createdAt: '2026-11-24T10:00:00.000Z',
} as BuildRecord;
const SETTINGS = { region: 'us-east-1', deployment: 'amibake' };
/** A copy as EC2 describes it: made from the build's image, with the build's tags. */
const copyOf = (imageId: string, state: ImageState, extra: Partial<Image> = {}): Image =>
  builtImage(build.buildId, {
    ImageId: imageId,
    State: state,
    SourceImageId: 'ami-home',
    SourceImageRegion: 'us-east-1',
    ...extra,
  });
const source = {
  ImageId: 'ami-home',
  Name: 'ecs-20261124100000-abcdef',
  State: 'available' as const,
  Tags: [],
};

describe('distribute', () => {
  const homeClient = new EC2Client({ region: 'us-east-1' });
  const westClient = new EC2Client({ region: 'eu-west-1' });
  let home: ReturnType<typeof mockClient>;
  let west: ReturnType<typeof mockClient>;
  before(() => {
    home = mockClient(homeClient);
    west = mockClient(westClient);
  });
  beforeEach(() => {
    home.reset();
    west.reset();
  });
  after(() => {
    home.restore();
    west.restore();
  });

  const deps = () => ({
    regional: (region: string) => ({
      ec2: region === 'us-east-1' ? homeClient : westClient,
      ssm: new SSMClient({}),
    }),
  });

  it('leaves the build imaging while a copy is pending, and shares nothing yet', async () => {
    home.on(DescribeImagesCommand).resolves({ Images: [source] });
    west
      .on(DescribeImagesCommand, { ImageIds: ['ami-west'] })
      .resolves({ Images: [{ ImageId: 'ami-west', State: 'pending' }] });
    west.on(DescribeImagesCommand).resolves({ Images: [] });
    west.on(CopyImageCommand).resolves({ ImageId: 'ami-west' });
    const result = await distribute(deps(), SETTINGS, build, source);
    expect(result).to.deep.equal({ state: 'pending', reason: 'copies not available yet in eu-west-1' });
    expect(west.commandCalls(CopyImageCommand)[0]?.args[0].input).to.include({
      SourceImageId: 'ami-home',
      SourceRegion: 'us-east-1',
      Encrypted: true,
      ClientToken: 'ecs-20261124100000-abcdef-eu-west-1',
    });
    expect(home.commandCalls(ModifyImageAttributeCommand)).to.have.length(0);
  });

  it('deregisters the image and its copies when a copy fails', async () => {
    home.on(DescribeImagesCommand).resolves({ Images: [source] });
    west.on(DescribeImagesCommand).resolves({
      Images: [copyOf('ami-west', 'failed', { StateReason: { Message: 'no key' } })],
    });
    const result = await distribute(deps(), SETTINGS, build, source);
    expect(result.state).to.equal('failed');
    expect(result.state === 'failed' && result.reason).to.equal(
      'copy to eu-west-1 (no key) failed: the image and its copies were deregistered',
    );
    expect(home.commandCalls(DeregisterImageCommand).map((c) => c.args[0].input.ImageId)).to.deep.equal([
      'ami-home',
    ]);
    expect(west.commandCalls(DeregisterImageCommand).map((c) => c.args[0].input.ImageId)).to.deep.equal([
      'ami-west',
    ]);
    expect(west.commandCalls(CopyImageCommand), 'the existing copy is found by its tag').to.have.length(0);
  });

  it('shares the image and every copy once all are available', async () => {
    home.on(DescribeImagesCommand).resolves({ Images: [source] });
    west.on(DescribeImagesCommand).resolves({ Images: [copyOf('ami-west', 'available')] });
    const result = await distribute(deps(), SETTINGS, build, source);
    expect(result).to.deep.equal({
      state: 'done',
      images: { 'us-east-1': 'ami-home', 'eu-west-1': 'ami-west' },
    });
    const inputs = (mock: typeof home) =>
      mock.commandCalls(ModifyImageAttributeCommand).map((c) => c.args[0].input);
    // Each image first requires IMDSv2 of its instances, then is shared.
    expect(inputs(home)).to.deep.equal([
      { ImageId: 'ami-home', Attribute: 'imdsSupport', Value: 'v2.0' },
      { ImageId: 'ami-home', Attribute: 'launchPermission', OperationType: 'add', UserIds: ['111122223333'] },
    ]);
    expect(inputs(west).map((i) => [i.ImageId, i.Attribute])).to.deep.equal([
      ['ami-west', 'imdsSupport'],
      ['ami-west', 'launchPermission'],
    ]);
  });

  it('leaves ImdsSupport alone on an image that has it already', async () => {
    const set = { ...source, ImdsSupport: 'v2.0' as const };
    home.on(DescribeImagesCommand).resolves({ Images: [set] });
    west
      .on(DescribeImagesCommand)
      .resolves({ Images: [{ ...copyOf('ami-west', 'available'), ImdsSupport: 'v2.0' }] });
    await distribute(deps(), SETTINGS, build, set);
    const imds = [
      ...home.commandCalls(ModifyImageAttributeCommand),
      ...west.commandCalls(ModifyImageAttributeCommand),
    ]
      .map((c) => c.args[0].input)
      .filter((i) => i.Attribute === 'imdsSupport');
    expect(imds).to.deep.equal([]);
  });

  it('fails, naming it, when an image tagged as the copy was not copied from the build image', async () => {
    home.on(DescribeImagesCommand).resolves({ Images: [source] });
    west.on(DescribeImagesCommand).resolves({
      Images: [copyOf('ami-forged', 'available', { SourceImageId: 'ami-team' })],
    });
    const result = await distribute(deps(), SETTINGS, build, source);
    expect(result).to.deep.include({ state: 'failed', errorCode: 'ImageImpostor' });
    expect(result.state === 'failed' && result.reason).to.include(
      "image ami-forged was copied from ami-team in us-east-1, not from the build's ami-home in us-east-1",
    );
    expect(west.commandCalls(CopyImageCommand)).to.have.length(0);
    expect(west.commandCalls(ModifyImageAttributeCommand)).to.have.length(0);
    expect(west.commandCalls(DeregisterImageCommand), 'the impostor is not ours to remove').to.have.length(0);
  });
});
