import type { Image } from '@aws-sdk/client-ec2';
import { expect } from 'chai';
import { notOwnImage, sortImages } from '../../../functions/ami-image-create/image-provenance';
import { builtImage } from '../../support/images';

describe('image provenance', () => {
  const build = { buildId: 'ecs-20261124100000-abcdef', createdAt: '2026-11-24T10:00:00.000Z' };
  const made = { kind: 'image', instanceId: 'i-0123456789abcdef0' } as const;
  const image = (extra: Partial<Image> = {}): Image =>
    builtImage(build.buildId, { ImageId: 'ami-0own', SourceInstanceId: 'i-0123456789abcdef0', ...extra });

  it("adopts an image made from the build's instance, tagged for this deployment, after the build started", () => {
    expect(notOwnImage(image(), build, 'amibake', made)).to.equal(undefined);
  });

  it('names each reason an image is not the build own', () => {
    expect(notOwnImage(image({ SourceInstanceId: 'i-0ffffffffffffffff' }), build, 'amibake', made)).to.equal(
      "image ami-0own was made from instance i-0ffffffffffffffff, not the build's i-0123456789abcdef0",
    );
    expect(notOwnImage(image({ SourceInstanceId: undefined }), build, 'amibake', made)).to.include(
      'made from instance (none)',
    );
    expect(notOwnImage(image(), build, 'amibake-dev', made)).to.include(
      'is tagged amibake:deployment=amibake, not amibake-dev',
    );
    expect(
      notOwnImage(image({ CreationDate: '2026-11-01T00:00:00.000Z' }), build, 'amibake', made),
    ).to.include('was created 2026-11-01T00:00:00.000Z, before the build started (2026-11-24T10:00:00.000Z)');
    expect(notOwnImage(image({ Tags: [] }), build, 'amibake', made)).to.include(
      'is tagged amibake:build-id=(none)',
    );
  });

  it('refuses every image when the build has no instance to compare with', () => {
    expect(notOwnImage(image(), build, 'amibake', { kind: 'image', instanceId: undefined })).to.include(
      "not the build's (none)",
    );
  });

  it('checks a copy by the image and region it was copied from', () => {
    const copy = { kind: 'copy', sourceImageId: 'ami-0own', sourceRegion: 'us-east-1' } as const;
    const copied = image({
      ImageId: 'ami-0west',
      SourceInstanceId: undefined,
      SourceImageId: 'ami-0own',
      SourceImageRegion: 'us-east-1',
    });
    expect(notOwnImage(copied, build, 'amibake', copy)).to.equal(undefined);
    expect(notOwnImage({ ...copied, SourceImageRegion: 'eu-central-1' }, build, 'amibake', copy)).to.include(
      'was copied from ami-0own in eu-central-1',
    );
  });

  it('sorts the own image from the impostors', () => {
    const impostor = image({ ImageId: 'ami-0team', SourceInstanceId: 'i-0ffffffffffffffff' });
    const { own, impostors } = sortImages([impostor, image()], build, 'amibake', made);
    expect(own?.ImageId).to.equal('ami-0own');
    expect(impostors).to.have.length(1);
    expect(impostors[0]).to.match(/^image ami-0team was made from instance i-0ffffffffffffffff/);
  });
});
