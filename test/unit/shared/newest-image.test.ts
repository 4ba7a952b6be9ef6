import { expect } from 'chai';
import { compareVersions, pickNewestImage } from '../../../functions/shared/newest-image';

const now = new Date('2026-11-24T12:00:00Z');
const image = (id: string, name: string, created = '2026-01-01T00:00:00.000Z', extra = {}) => ({
  ImageId: id,
  Name: name,
  CreationDate: created,
  State: 'available',
  ...extra,
});

describe('pickNewestImage', () => {
  it('picks the latest CreationDate', () => {
    const images = [
      image('ami-1', 'b', '2026-01-01T00:00:00.000Z'),
      image('ami-2', 'a', '2026-02-01T00:00:00.000Z'),
    ];
    expect(pickNewestImage(images, { includeDeprecated: false, now })?.ImageId).to.equal('ami-2');
  });

  it('breaks CreationDate ties by the version in the name', () => {
    const images = [
      image('ami-old', 'al2023-ami-ecs-hvm-2023.0.9-kernel-6.1-x86_64'),
      image('ami-new', 'al2023-ami-ecs-hvm-2023.0.20260226-kernel-6.1-x86_64'),
      image('ami-mid', 'al2023-ami-ecs-hvm-2023.0.20241001-kernel-6.1-x86_64'),
    ];
    expect(pickNewestImage(images, { includeDeprecated: false, now })?.ImageId).to.equal('ami-new');
  });

  it('skips deprecated images unless asked', () => {
    const images = [
      image('ami-dep', 'v2', '2026-03-01T00:00:00.000Z', { DeprecationTime: '2026-06-01T00:00:00.000Z' }),
      image('ami-ok', 'v1', '2026-02-01T00:00:00.000Z', { DeprecationTime: '2027-06-01T00:00:00.000Z' }),
    ];
    expect(pickNewestImage(images, { includeDeprecated: false, now })?.ImageId).to.equal('ami-ok');
    expect(pickNewestImage(images, { includeDeprecated: true, now })?.ImageId).to.equal('ami-dep');
  });

  it('ignores images that are not available', () => {
    const images = [
      image('ami-pending', 'v9', '2026-09-01T00:00:00.000Z', { State: 'pending' }),
      image('ami-1', 'v1'),
    ];
    expect(pickNewestImage(images, { includeDeprecated: false, now })?.ImageId).to.equal('ami-1');
  });

  it('returns undefined when nothing qualifies', () => {
    expect(pickNewestImage([], { includeDeprecated: false, now })).to.equal(undefined);
  });
});

describe('compareVersions', () => {
  it('compares digit runs as numbers', () => {
    expect(compareVersions('2023.0.10', '2023.0.9')).to.be.greaterThan(0);
    expect(compareVersions('a-2', 'a-10')).to.be.lessThan(0);
    expect(compareVersions('same', 'same')).to.equal(0);
  });
});
